package export

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// fixture loads testdata/quiz.json: every question type and the hard
// characters (XML and GIFT specials, tabs, newlines, Unicode, a
// 5,000-character stem, HTML-looking text, control characters).
func fixture(t testing.TB) *quizflow.Quiz {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "quiz.json"))
	if err != nil {
		t.Fatal(err)
	}
	var q quizflow.Quiz
	if err := json.Unmarshal(data, &q); err != nil {
		t.Fatal(err)
	}
	return &q
}

// render renders the fixture and fails the test on error.
func render(t testing.TB, q *quizflow.Quiz, format string, opts Options) *File {
	t.Helper()
	f, err := Render(q, format, opts)
	if err != nil {
		t.Fatalf("Render(%s): %v", format, err)
	}
	return f
}

// unzip returns the entries of a zip file by name.
func unzip(t testing.TB, data []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = b
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// schemasDir finds shared/schemas: it walks up from the working directory
// and looks for shared/schemas in each directory and beside it (CI puts
// shared/ beside the clone; here it is at ../../../shared). Missing schemas
// fail the test: schema validation is not optional.
func schemasDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		for _, c := range []string{filepath.Join(dir, "shared", "schemas"), filepath.Join(filepath.Dir(dir), "shared", "schemas")} {
			if st, err := os.Stat(filepath.Join(c, "qti12", "ims_qtiasiv1p2.xsd")); err == nil && !st.IsDir() {
				return c
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("shared/schemas not found in or beside any parent of the working directory; " +
				"put the IMS schemas at ../shared/schemas beside the repository")
		}
		dir = parent
	}
}

// xmllint validates files against an XSD with libxml2's xmllint (Debian
// package libxml2-utils). It returns xmllint's output and whether all files
// are valid. A missing xmllint fails the test.
func xmllint(t testing.TB, xsd string, files ...string) (string, bool) {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Fatal("xmllint not found: install Debian package libxml2-utils")
	}
	args := append([]string{"--noout", "--nonet", "--schema", xsd}, files...)
	out, err := exec.Command("xmllint", args...).CombinedOutput()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("xmllint: %v", err)
		}
		return string(out), false
	}
	return string(out), true
}

// writeTemp writes files under a new temporary directory and returns their
// paths, in the order of names.
func writeTemp(t testing.TB, files map[string][]byte, names ...string) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for _, n := range names {
		p := filepath.Join(dir, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, files[n], 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// filesMatching returns the names in files for which keep is true, sorted.
func filesMatching(files map[string][]byte, keep func(name string) bool) []string {
	var out []string
	for _, n := range sortedKeys(files) {
		if keep(n) {
			out = append(out, n)
		}
	}
	return out
}

// hasWarning reports whether some warning contains all the given parts.
func hasWarning(warnings []string, parts ...string) bool {
	for _, w := range warnings {
		ok := true
		for _, p := range parts {
			if !strings.Contains(w, p) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// Package exporttest checks export files against the IMS schemas with
// libxml2's xmllint (Debian package libxml2-utils), for the tests of the
// export package and the end-to-end tests of the API alike.
package exporttest

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// SchemasDir finds shared/schemas: it walks up from the working directory
// and looks for shared/schemas in each directory and beside it (CI puts
// shared/ beside the clone). Missing schemas fail the test: schema
// validation is not optional.
func SchemasDir(t testing.TB) string {
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

// Xmllint validates files against an XSD. It returns xmllint's output and
// whether all files are valid. A missing xmllint fails the test.
func Xmllint(t testing.TB, xsd string, files ...string) (string, bool) {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Fatal("xmllint not found: install Debian package libxml2-utils")
	}
	args := append([]string{"--noout", "--nonet", "--schema", xsd}, files...)
	out, err := exec.Command("xmllint", args...).CombinedOutput()
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("xmllint: %v", err)
		}
		return string(out), false
	}
	return string(out), true
}

// Unzip returns the entries of a zip file by name.
func Unzip(t testing.TB, data []byte) map[string][]byte {
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

// WriteTemp writes files under a new temporary directory and returns their
// paths, in the order of names.
func WriteTemp(t testing.TB, files map[string][]byte, names ...string) []string {
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

// SortedKeys returns the keys of m in order.
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// FilesMatching returns the names in files for which keep is true, sorted.
func FilesMatching(files map[string][]byte, keep func(name string) bool) []string {
	var out []string
	for _, n := range SortedKeys(files) {
		if keep(n) {
			out = append(out, n)
		}
	}
	return out
}

// WellFormed fails the test if data is not well-formed XML.
func WellFormed(t testing.TB, name string, data []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Errorf("%s is not well-formed: %v", name, err)
			return
		}
	}
}

// ValidatePackage checks every XML file of a QTI package (format
// "qti12-canvas" or "qti21") against its schema, and the manifest against
// IMS Content Packaging.
func ValidatePackage(t testing.TB, format string, data []byte) {
	t.Helper()
	schemas := SchemasDir(t)
	files := Unzip(t, data)
	var itemsXSD, cpXSD string
	var items []string
	switch format {
	case "qti12-canvas":
		itemsXSD = filepath.Join(schemas, "qti12", "ims_qtiasiv1p2.xsd")
		cpXSD = filepath.Join(schemas, "cp", "imscp_v1p1.xsd")
		items = FilesMatching(files, func(n string) bool {
			dir, base, ok := strings.Cut(n, "/")
			return ok && base == dir+".xml"
		})
		// assessment_meta.xml is Canvas's own vocabulary, with no schema
		// here: check that it is well-formed.
		for _, n := range FilesMatching(files, func(n string) bool { return strings.HasSuffix(n, "/assessment_meta.xml") }) {
			WellFormed(t, n, files[n])
		}
	case "qti21":
		itemsXSD = filepath.Join(schemas, "qti21", "qtiv2p1", "imsqti_v2p1.xsd")
		cpXSD = filepath.Join(schemas, "qti21", "imscp_v1p1.xsd")
		items = FilesMatching(files, func(n string) bool { return n != "imsmanifest.xml" })
	default:
		t.Fatalf("ValidatePackage: %q is not a QTI package format", format)
	}
	if len(items) == 0 {
		t.Fatalf("%s: nothing to validate in %v", format, SortedKeys(files))
	}
	if out, ok := Xmllint(t, itemsXSD, WriteTemp(t, files, items...)...); !ok {
		t.Errorf("%s: QTI files do not validate:\n%s", format, out)
	}
	for _, xsd := range []string{cpXSD, filepath.Join(schemas, "cp", "imscp_v1p1.xsd")} {
		if out, ok := Xmllint(t, xsd, WriteTemp(t, files, "imsmanifest.xml")...); !ok {
			t.Errorf("%s: manifest does not validate against %s:\n%s", format, xsd, out)
		}
	}
}

package export

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/quizflow"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenOptions are the options the golden files are rendered with: with
// feedback and shuffling, so both are covered by the byte comparison.
var goldenOptions = quizflow.ExportOptions{IncludeFeedback: true, ShuffleAnswers: true}

// TestGolden compares every format's output for the fixture quiz with
// testdata/golden/<format>/ (zip packages and .xlsx workbooks unpacked, one
// file per entry) and
// testdata/golden/<format>.meta.txt (file name, content type, warnings).
// Run `go test ./internal/export -run TestGolden -update` to rewrite them.
func TestGolden(t *testing.T) {
	quiz := fixture(t)
	for _, format := range Formats() {
		t.Run(format.Name, func(t *testing.T) {
			f := render(t, quiz, format.Name, goldenOptions)
			files := map[string][]byte{}
			if format.Extension == ".zip" || format.Extension == ".xlsx" {
				// Spreadsheets are zips of XML: compared (and stored) unpacked, as text.
				files = unzip(t, f.Data)
			} else {
				files["output"+format.Extension] = f.Data
			}
			meta := fmt.Sprintf("name: %s\ncontent-type: %s\nwarnings:\n", f.Name, f.ContentType)
			for _, w := range f.Warnings {
				meta += "  " + w + "\n"
			}
			dir := filepath.Join("testdata", "golden", format.Name)
			metaPath := filepath.Join("testdata", "golden", format.Name+".meta.txt")
			if *update {
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
				for name, data := range files {
					p := filepath.Join(dir, filepath.FromSlash(name))
					if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(p, data, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				if err := os.WriteFile(metaPath, []byte(meta), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			golden := map[string][]byte{}
			err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				rel, _ := filepath.Rel(dir, path)
				golden[filepath.ToSlash(rel)], err = os.ReadFile(path)
				return err
			})
			if err != nil {
				t.Fatalf("%v (run with -update to write the golden files)", err)
			}
			if got, want := strings.Join(sortedKeys(files), "\n"), strings.Join(sortedKeys(golden), "\n"); got != want {
				t.Errorf("files differ (-update rewrites)\n got:\n%s\nwant:\n%s", got, want)
			}
			for name, want := range golden {
				if got, ok := files[name]; ok && !bytes.Equal(got, want) {
					t.Errorf("%s differs from golden (-update rewrites): %s", name, firstDiff(got, want))
				}
			}
			wantMeta, err := os.ReadFile(metaPath)
			if err != nil {
				t.Fatal(err)
			}
			if meta != string(wantMeta) {
				t.Errorf("meta differs (-update rewrites)\n got:\n%s\nwant:\n%s", meta, wantMeta)
			}
		})
	}
}

// firstDiff describes the first line where got and want differ.
func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d\n got: %.300q\nwant: %.300q", i+1, gl, wl)
		}
	}
	return "same lines"
}

package extract

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// FuzzExtract feeds arbitrary bytes through Detect and Extract: whatever
// the input, the result is pages of normalised text or a user error, never
// a panic or an internal error, within the time limit.
//
//	go test -run '^$' -fuzz FuzzExtract -fuzztime 60s ./internal/extract/
func FuzzExtract(f *testing.F) {
	files, _ := filepath.Glob("testdata/*")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil && len(b) <= 128<<10 {
			f.Add(b)
		}
	}
	f.Add(makePDF([]string{textPage("A small page of text.", "With two lines.")}, nil))
	f.Add(makeDOCX(f, `<w:p><w:r><w:t>Hello</w:t><w:br w:type="page"/><w:t>world</w:t></w:r></w:p>`))
	f.Add([]byte("# Title\n\nSome *markdown* with a [link](http://x.org).\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		kind, _, err := Detect(data[:min(len(data), HeadSize)])
		if err != nil {
			if !quizflow.IsUserError(err) {
				t.Fatalf("Detect: not a user error: %v", err)
			}
			return
		}
		start := time.Now()
		pages, err := Extract(context.Background(), bytes.NewReader(data), int64(len(data)), kind,
			Limits{Timeout: 5 * time.Second, MaxPages: 100, MaxBytes: 8 << 20})
		if d := time.Since(start); d > 7*time.Second {
			t.Fatalf("Extract took %v", d)
		}
		if err != nil {
			if !quizflow.IsUserError(err) {
				t.Fatalf("Extract(%s): not a user error: %v", kind, err)
			}
			return
		}
		if len(pages) == 0 {
			t.Fatalf("no pages and no error")
		}
		last := 0
		for _, p := range pages {
			if p.Number <= last {
				t.Fatalf("page numbers not increasing: %d after %d", p.Number, last)
			}
			last = p.Number
			if p.Text == "" || Normalize(p.Text) != p.Text {
				t.Fatalf("page %d text not normalised: %q", p.Number, p.Text)
			}
		}
	})
}

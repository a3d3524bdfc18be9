package export

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/export/exporttest"
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
func render(t testing.TB, q *quizflow.Quiz, format string, opts quizflow.ExportOptions) *File {
	t.Helper()
	f, err := Render(q, format, opts)
	if err != nil {
		t.Fatalf("Render(%s): %v", format, err)
	}
	return f
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

// Thin names for the shared helpers of package exporttest.
var (
	unzip      = exporttest.Unzip
	schemasDir = exporttest.SchemasDir
	xmllint    = exporttest.Xmllint
	writeTemp  = exporttest.WriteTemp
	wellFormed = exporttest.WellFormed
)

func sortedKeys[V any](m map[string]V) []string { return exporttest.SortedKeys(m) }

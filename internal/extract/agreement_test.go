package extract

import (
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// minAgreement is the word agreement with poppler's pdftotext that every
// PDF fixture must reach.
const minAgreement = 0.97

// TestPDFWordAgreement compares the words Extract finds in every good PDF
// fixture with those of poppler's pdftotext (needs the pdftotext binary:
// Debian package poppler-utils). Agreement is the multiset overlap of
// normalised words, |A∩B| / max(|A|,|B|). Run with -v to see the figures:
//
//	go test -run TestPDFWordAgreement -v ./internal/extract/
func TestPDFWordAgreement(t *testing.T) {
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		t.Fatalf("pdftotext not found (install the Debian package poppler-utils): %v", err)
	}
	files, err := filepath.Glob("testdata/*.pdf")
	if err != nil {
		t.Fatal(err)
	}
	producers := map[string]bool{}
	checked := 0
	for _, f := range files {
		name := filepath.Base(f)
		if strings.HasPrefix(name, "bad-") {
			continue
		}
		checked++
		producers[strings.SplitN(name, "-", 2)[0]] = true
		pages, err := extractBytes(t, fixture(t, name), quizflow.KindPDF, Limits{})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		out, err := exec.Command(bin, "-q", "-enc", "UTF-8", f, "-").Output()
		if err != nil {
			t.Errorf("%s: pdftotext: %v", name, err)
			continue
		}
		ours, theirs := wordBag(joinPages(pages)), wordBag(string(out))
		a := agreement(ours, theirs)
		t.Logf("%-32s agreement %.4f  (words: ours %d, pdftotext %d)", name, a, total(ours), total(theirs))
		if a < minAgreement {
			t.Errorf("%s: agreement %.4f < %.2f; differences: %s", name, a, minAgreement, diffWords(ours, theirs))
		}
	}
	if checked < 6 || len(producers) < 4 {
		t.Errorf("checked %d PDFs from producers %v; want at least 4 producers", checked, producers)
	}
}

func total(m map[string]int) int {
	n := 0
	for _, c := range m {
		n += c
	}
	return n
}

// diffWords lists words one side has more of, for failure messages.
func diffWords(ours, theirs map[string]int) string {
	var d []string
	for w, c := range ours {
		if theirs[w] < c {
			d = append(d, "+"+w)
		}
	}
	for w, c := range theirs {
		if ours[w] < c {
			d = append(d, "-"+w)
		}
	}
	sort.Strings(d)
	if len(d) > 40 {
		d = append(d[:40], "...")
	}
	return strings.Join(d, " ")
}

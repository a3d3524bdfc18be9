package e2e_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/client"
	"github.com/quizflow/quizflow/internal/hostile"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// hostilePeak bounds what a crafted file may cost in memory: the peak RSS
// of the extraction child, as the kernel's rusage reports it in
// quizflow_extract_peak_rss_bytes (histogram bucket bound).
const hostilePeak = 256 << 20

// TestHostileFilesThroughAWorker uploads the crafted files of the fault
// drills through the API: each job ends as its documented error, every
// extraction child stays below hostilePeak, and the worker then reads an
// ordinary document as if nothing had happened.
func TestHostileFilesThroughAWorker(t *testing.T) {
	s := setup(t, withMetricsToken(testMetricsToken))
	c := s.user("Hostile")
	ctx := context.Background()
	for _, tc := range []struct {
		name, file string
		body       []byte
		code       string // the job's error code; "" = a quiz
		// also is another acceptable end: the huge word is about not
		// hanging; a document that is mostly one garbage word may yield
		// no usable question.
		also string
	}{
		{"PDF inflating to 1 GiB", "bomb.pdf", hostile.FlateBombPDF(1<<30, hostile.GlyphOps), quizflow.ETOOLARGE, ""},
		{"PDF inflating to 16 MiB of glyphs", "glyphs.pdf", hostile.FlateBombPDF(16<<20, hostile.GlyphOps), quizflow.ETOOLARGE, ""},
		{"page tree that lists itself", "cycle.pdf", hostile.PageCyclePDF(), quizflow.ECORRUPT, ""},
		{"one 1 MB word", "word.txt", hostile.HugeWordText(1 << 20), "", quizflow.EGENERATION},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			up, err := c.UploadReader(ctx, tc.file, bytes.NewReader(tc.body), map[string]string{"question_count": "3"})
			if err != nil {
				t.Fatal(err)
			}
			job := waitJob(t, c, up.Job.ID)
			switch {
			case tc.also != "" && job.Error != nil && job.Error.Code == tc.also:
			case tc.code == "" && job.Status != quizflow.StatusSucceeded:
				t.Fatalf("job = %s %+v, want a quiz", job.Status, job.Error)
			case tc.code != "" && (job.Status != quizflow.StatusFailed || job.Error == nil || job.Error.Code != tc.code):
				t.Fatalf("job = %s %+v, want failed with %s", job.Status, job.Error, tc.code)
			}
			t.Logf("%s in %v", job.Status, time.Since(start))
		})
	}

	// HTML renamed .docx never reaches a worker.
	_, err := c.UploadReader(ctx, "lesson.docx", bytes.NewReader(hostile.HTMLPage()), nil)
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusUnsupportedMediaType || !strings.Contains(ae.Message, "HTML") {
		t.Errorf("HTML as .docx: %v, want 415 naming HTML", err)
	}

	// The worker still serves.
	up, err := c.UploadFile(ctx, fixture(t, "lesson.md"), map[string]string{"question_count": "3"})
	if err != nil {
		t.Fatal(err)
	}
	if job := waitJob(t, c, up.Job.ID); job.Status != quizflow.StatusSucceeded {
		t.Fatalf("an ordinary upload after the hostile ones: %s %+v", job.Status, job.Error)
	}

	mfs := scrapeMetrics(t, s.url+"/metrics", testMetricsToken)
	h := mfs["quizflow_extract_peak_rss_bytes"].GetMetric()
	if len(h) != 1 {
		t.Fatal("no quizflow_extract_peak_rss_bytes: extraction did not run in a child")
	}
	hist := h[0].GetHistogram()
	// One child per hostile upload; the small Markdown lesson is read in
	// the worker itself (worker.inProcessTextMax), in no child.
	if hist.GetSampleCount() != 4 {
		t.Fatalf("%d extraction children measured, want one per hostile upload (4)", hist.GetSampleCount())
	}
	for _, b := range hist.GetBucket() {
		if b.GetUpperBound() == hostilePeak && b.GetCumulativeCount() != hist.GetSampleCount() {
			t.Errorf("%d of %d extraction children peaked above %d MiB", hist.GetSampleCount()-b.GetCumulativeCount(), hist.GetSampleCount(), hostilePeak>>20)
		}
	}
}

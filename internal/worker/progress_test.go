package worker

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/usecase"
)

// progressStore records JobProgress writes; nothing else is called.
type progressStore struct {
	usecase.Store
	writes chan string
}

func (s *progressStore) JobProgress(_ context.Context, _, stage string, pct int, msg string) (bool, error) {
	s.writes <- fmt.Sprintf("%s %d %s", stage, pct, msg)
	return true, nil
}

func newTestProgressWriter(every time.Duration) (*progressWriter, chan string) {
	st := &progressStore{writes: make(chan string, 100)}
	w := newProgressWriter(context.Background(), Deps{Store: st, Log: zerolog.Nop()}, "job_1")
	w.every = every
	return w, st.writes
}

// next returns the next write, failing after a while without one.
func next(t *testing.T, writes chan string) string {
	t.Helper()
	select {
	case w := <-writes:
		return w
	case <-time.After(10 * time.Second):
		t.Fatal("no progress write")
		return ""
	}
}

// none checks that nothing was written.
func none(t *testing.T, writes chan string, what string) {
	t.Helper()
	select {
	case w := <-writes:
		t.Errorf("%s: wrote %q", what, w)
	default:
	}
}

// TestProgressWriterHoldsBackWithinAStage: within a stage, reports inside
// the interval are held back and only the newest is written when it ends;
// a change of stage is written at once and supersedes what was held.
func TestProgressWriterHoldsBackWithinAStage(t *testing.T) {
	w, writes := newTestProgressWriter(time.Hour) // the interval never ends by itself here
	defer w.stop()
	w.report(quizflow.StageExtracting, 5, "Reading the document")
	if got := next(t, writes); got != "extracting 5 Reading the document" {
		t.Fatalf("first report wrote %q", got)
	}
	for i := 1; i <= 50; i++ {
		w.report(quizflow.StageExtracting, 5+i/2, fmt.Sprintf("Read page %d of 50", i))
	}
	none(t, writes, "50 pages inside the interval")
	w.flush(w.gen) // the interval's end
	if got := next(t, writes); got != "extracting 30 Read page 50 of 50" {
		t.Errorf("held-back report wrote %q, want the newest", got)
	}
	w.flush(w.gen)
	none(t, writes, "a second end of interval with nothing held")

	w.report(quizflow.StageExtracting, 31, "held")
	late := w.gen // the timer of that held report, firing late
	w.report(quizflow.StageGenerating, 40, "Read 50 pages; writing questions")
	if got := next(t, writes); got != "generating 40 Read 50 pages; writing questions" {
		t.Errorf("change of stage wrote %q", got)
	}
	w.report(quizflow.StageGenerating, 41, "held in the new interval")
	w.flush(late)
	none(t, writes, "a timer of an earlier interval, with a report held in the new one")
	w.flush(w.gen)
	if got := next(t, writes); got != "generating 41 held in the new interval" {
		t.Errorf("the new interval's end wrote %q", got)
	}
}

// TestProgressWriterWritesHeldReportAfterTheInterval: the report held back
// is written by the timer once the interval has passed, with no further
// report to push it out; stop drops one still held.
func TestProgressWriterWritesHeldReportAfterTheInterval(t *testing.T) {
	w, writes := newTestProgressWriter(20 * time.Millisecond)
	w.report(quizflow.StageGenerating, 40, "Writing questions")
	next(t, writes)
	w.report(quizflow.StageGenerating, 60, "Wrote questions for part 1 of 3")
	if got := next(t, writes); got != "generating 60 Wrote questions for part 1 of 3" {
		t.Errorf("timer wrote %q", got)
	}

	w.every = time.Hour
	w.report(quizflow.StageGenerating, 80, "Wrote questions for part 2 of 3")
	w.stop()
	w.flush(w.gen)
	w.report(quizflow.StageSaving, 95, "Saving the quiz")
	none(t, writes, "after stop")
}

package worker

import (
	"context"
	"sync"
	"time"
)

// progressEvery is the least time between two progress writes of one task
// within a stage. A PDF reports every page and generation every part, and
// each write is a store update and a read by every watcher of the job; a
// person watching gains nothing from more than a few a second.
const progressEvery = 250 * time.Millisecond

// progressWriter records one task's progress on its job. The first report,
// and any report that changes the stage, is written at once. Within a
// stage, reports closer than progressEvery to the last write are held
// back: the newest waits and is written when the interval ends, so the
// progress shown before a long step is the last one reported. stop drops
// what is held back (the task's end, or its next stage, supersedes it).
// Its methods may be called from several goroutines.
type progressWriter struct {
	ctx   context.Context
	d     Deps
	jobID string
	every time.Duration

	mu      sync.Mutex
	stage   string
	last    time.Time // of the last write
	held    *progressReport
	timer   *time.Timer
	gen     int // moves on at every write and at stop: a timer of an older gen does nothing
	stopped bool
}

// progressReport is one report held back.
type progressReport struct {
	stage string
	pct   int
	msg   string
}

// newProgressWriter returns the progress writer of one task of job jobID;
// stop it when the task ends.
func newProgressWriter(ctx context.Context, d Deps, jobID string) *progressWriter {
	return &progressWriter{ctx: ctx, d: d, jobID: jobID, every: progressEvery}
}

// report records stage and pct with msg, now or when the interval ends.
func (w *progressWriter) report(stage string, pct int, msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	wait := w.every - time.Since(w.last)
	if stage != w.stage || wait <= 0 {
		w.writeLocked(progressReport{stage, pct, msg})
		return
	}
	w.held = &progressReport{stage, pct, msg}
	if w.timer == nil {
		gen := w.gen
		w.timer = time.AfterFunc(wait, func() { w.flush(gen) })
	}
}

// flush writes the report held back, if any, for the timer started at
// gen. A timer that fired while a write or stop was taking its place
// finds gen moved on and does nothing.
func (w *progressWriter) flush(gen int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if gen != w.gen {
		return
	}
	w.timer = nil
	if w.stopped || w.held == nil {
		return
	}
	w.writeLocked(*w.held)
}

// writeLocked writes r, drops any report held back (r supersedes it) and
// starts a new interval. Writes happen under w.mu, so they reach the store
// in the order they were reported.
func (w *progressWriter) writeLocked(r progressReport) {
	w.held = nil
	w.gen++
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
	w.stage, w.last = r.stage, time.Now()
	progress(w.ctx, w.d, w.jobID, r.stage, r.pct, r.msg)
}

// stop drops any report held back; later reports are ignored.
func (w *progressWriter) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped, w.held = true, nil
	w.gen++
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
}

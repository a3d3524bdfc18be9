package generate_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/fakeopenai"
	"github.com/quizflow/quizflow/internal/generate"
	"github.com/quizflow/quizflow/internal/llm"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// callLog collects what Request.OnCall is told.
type callLog struct {
	mu    sync.Mutex
	calls []quizflow.Usage
}

func (l *callLog) record(u quizflow.Usage) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, u)
}

func (l *callLog) sum() quizflow.Usage {
	l.mu.Lock()
	defer l.mu.Unlock()
	var s quizflow.Usage
	for _, u := range l.calls {
		s.Add(u)
	}
	return s
}

// billed sums what the fake server answered: what a real one would bill.
func billed(f *fakeopenai.Server) quizflow.Usage {
	u := quizflow.Usage{Model: "gpt-4o-mini"}
	for _, c := range f.Answered("") {
		u.Add(quizflow.Usage{Calls: 1, PromptTokens: c.PromptTokens, CompletionTokens: c.CompletionTokens})
	}
	return u
}

// TestOnCallReportsEveryAnsweredCall: each answered call (a re-ask of
// malformed output and the answer checks included) is reported once, as
// it completes, priced; the reports add up to the result's usage and to
// what the server billed.
func TestOnCallReportsEveryAnsweredCall(t *testing.T) {
	b := setup(t, fakeopenai.Sequence(fakeopenai.Action{Do: fakeopenai.InvalidJSON}),
		setupOpts{pipe: generate.Config{AnswerCheck: true, ChunkTokens: 800}})
	var log callLog
	pages := document(6, 8, 40)
	res, err := generate1(t, b, generate.Request{Pages: pages, Options: mcOptions(6), OnCall: log.record})
	if err != nil {
		t.Fatal(err)
	}
	assertQuiz(t, res, pages, 6)
	if b.fake.Count(fakeopenai.KindAnswers) == 0 || b.fake.Count(fakeopenai.KindQuestions) < 2 {
		t.Fatalf("the test needs a re-ask and answer checks: %d question calls, %d answer calls",
			b.fake.Count(fakeopenai.KindQuestions), b.fake.Count(fakeopenai.KindAnswers))
	}
	for _, u := range log.calls {
		if u.Model != "gpt-4o-mini" || u.Calls != 1 || u.PromptTokens == 0 || u.CostUSD != generate.Cost(u, nil) || u.CostUSD <= 0 {
			t.Errorf("reported call %+v, want one priced gpt-4o-mini call", u)
		}
	}
	got, want := log.sum(), billed(b.fake)
	if got.Calls != want.Calls || got.PromptTokens != want.PromptTokens || got.CompletionTokens != want.CompletionTokens {
		t.Errorf("reported %+v, server billed %+v", got, want)
	}
	if r := res.Usage; r.Calls != got.Calls || r.PromptTokens != got.PromptTokens || r.CompletionTokens != got.CompletionTokens {
		t.Errorf("result usage %+v, reported %+v", r, got)
	}
}

// TestOnCallBeforeTheRunEnds: a run that never returns a result (its
// context ends while a re-ask is in flight, as when the worker dies) has
// already reported the malformed reply it was billed for, which no result
// will ever carry; a retry through the same chunk cache reports only the
// calls it makes, never a cached chunk's again.
func TestOnCallBeforeTheRunEnds(t *testing.T) {
	reask := make(chan struct{})
	var once sync.Once
	hold := make(chan struct{}) // never closed: held calls end with their client
	cache := generate.NewMemoryCache()
	pages := document(12, 8, 41)
	var firstAsks atomic.Int32
	b := setup(t, func(c *fakeopenai.Call) fakeopenai.Action {
		if c.Kind != fakeopenai.KindQuestions {
			return fakeopenai.Action{}
		}
		if hasAssistant(c) { // the re-ask of the malformed reply
			once.Do(func() { close(reask) })
			return fakeopenai.Action{Hold: hold}
		}
		// The first chunk to ask gets a malformed reply, the second a
		// good one, the rest are held.
		switch firstAsks.Add(1) {
		case 1:
			return fakeopenai.Action{Do: fakeopenai.InvalidJSON}
		case 2:
			return fakeopenai.Action{}
		}
		return fakeopenai.Action{Hold: hold}
	}, setupOpts{llm: llm.Config{MaxRetries: -1}, pipe: generate.Config{Cache: cache, ChunkTokens: 800, Concurrency: 8}})
	var first callLog
	req := generate.Request{JobID: "job-crash", Pages: pages, Options: mcOptions(8), OnCall: first.record}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := b.pipe.Generate(ctx, req)
		done <- err
	}()
	<-reask
	// Both answered calls reported, and the good one's chunk cached.
	eventually(t, func() bool { return first.sum().Calls == 2 && cache.Len() == 1 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Generate after cancel = %v, want context.Canceled", err)
	}
	if got, want := first.sum(), billed(b.fake); got.Calls != 2 || got.PromptTokens != want.PromptTokens || got.CompletionTokens != want.CompletionTokens {
		t.Fatalf("the cut-off run reported %+v, the server billed %+v", got, want)
	}

	b.fake.SetScript(nil)
	var second callLog
	req.OnCall = second.record
	res, err := generate1(t, b, req)
	if err != nil {
		t.Fatal(err)
	}
	assertQuiz(t, res, pages, 8)
	all := first.sum()
	all.Add(second.sum())
	if want := billed(b.fake); all.Calls != want.Calls || all.PromptTokens != want.PromptTokens || all.CompletionTokens != want.CompletionTokens {
		t.Errorf("both runs reported %+v, the server billed %+v: a call was missed or a cached chunk counted twice", all, want)
	}
}

// hasAssistant reports whether c carries an assistant turn: a re-ask.
func hasAssistant(c *fakeopenai.Call) bool {
	for _, m := range c.Request.Messages {
		if m.Role == "assistant" {
			return true
		}
	}
	return false
}

// eventually waits for cond, for state that sends no signal.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	for range 2000 {
		if cond() {
			return
		}
		<-time.After(5 * time.Millisecond)
	}
	t.Fatal("condition not reached in 10s")
}

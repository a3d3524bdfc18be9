package generate_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/fakeopenai"
	"github.com/quizflow/quizflow/internal/generate"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// A task that failed half-way and is retried (here by a second pipeline,
// as on another worker, sharing one cache: internal/rediscache in
// production) pays only for the chunks that had not finished.
func TestRetriedJobReusesFinishedChunks(t *testing.T) {
	cache := generate.NewMemoryCache()
	pages := document(20, 8, 30)
	const failing = "9" // the chunk holding page 9 fails with 500s
	hasFailing := func(c *fakeopenai.Call) bool {
		return slices.Contains(strings.Split(pagesOf(c), ","), failing)
	}
	b := setup(t, func(c *fakeopenai.Call) fakeopenai.Action {
		if c.Kind == fakeopenai.KindQuestions && hasFailing(c) {
			return fakeopenai.Action{Do: fakeopenai.ServerError}
		}
		return fakeopenai.Action{}
	}, setupOpts{pipe: generate.Config{Cache: cache, ChunkTokens: 800}})
	b.model = nil
	req := generate.Request{JobID: "job-42", Pages: pages, Options: mcOptions(10)}
	_, err := generate1(t, b, req)
	assertTransient(t, err)
	first := b.fake.Calls(fakeopenai.KindQuestions)
	okChunks := map[string]bool{}
	for _, c := range first {
		if !hasFailing(c) {
			okChunks[pagesOf(c)] = true
		}
	}
	if len(okChunks) < 2 {
		t.Fatalf("only %d chunks finished in the first attempt; the test needs several", len(okChunks))
	}

	// The retry, with the API healthy again, on a fresh pipeline.
	b.fake.Reset()
	b.fake.SetScript(nil)
	retry := newPipeline(t, b, generate.Config{Cache: cache, ChunkTokens: 800})
	res, err := retry.Generate(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	assertQuiz(t, res, pages, 10)
	for _, c := range b.fake.Calls("") {
		if okChunks[pagesOf(c)] {
			t.Errorf("retry paid again for finished chunk (pages %s)", pagesOf(c))
		}
	}
	if n := b.fake.Count(""); n == 0 {
		t.Error("retry made no call for the chunk that had failed")
	}
	// Usage covers what the quiz cost, cached chunks included.
	if res.Usage.Calls <= b.fake.Count("") {
		t.Errorf("usage counts %d calls; want the cached chunks' calls too", res.Usage.Calls)
	}

	// A third run of the same job costs nothing.
	b.fake.Reset()
	again := newPipeline(t, b, generate.Config{Cache: cache, ChunkTokens: 800})
	res2, err := again.Generate(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if n := b.fake.Count(""); n != 0 {
		t.Errorf("a fully cached job made %d calls", n)
	}
	if !samePrompts(res.Questions, res2.Questions) {
		t.Error("the cached run chose different questions")
	}
	// Other jobs and other options do not hit the cache.
	b.fake.Reset()
	other := req
	other.Options.Difficulty = "hard"
	if _, err := again.Generate(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	if b.fake.Count("") == 0 {
		t.Error("different options were served from the cache")
	}
}

func TestMemoryCache(t *testing.T) {
	cache := generate.NewMemoryCache()
	b := setup(t, nil, setupOpts{pipe: generate.Config{Cache: cache}})
	req := generate.Request{JobID: "j", Pages: document(3, 8, 31), Options: mcOptions(4)}
	if _, err := generate1(t, b, req); err != nil {
		t.Fatal(err)
	}
	n := b.fake.Count("")
	if _, err := generate1(t, b, req); err != nil {
		t.Fatal(err)
	}
	if b.fake.Count("") != n || cache.Len() == 0 {
		t.Errorf("second run made %d new calls; cache has %d entries", b.fake.Count("")-n, cache.Len())
	}
}

func newPipeline(t *testing.T, b *bundle, cfg generate.Config) *generate.Pipeline {
	t.Helper()
	m := b.model
	if m == nil {
		b2 := setupModel(t, b.fake)
		m = b2
	}
	cfg.Model = m
	p, err := generate.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func samePrompts(a, b []quizflow.Question) bool {
	pa, pb := prompts(a), prompts(b)
	slices.Sort(pa)
	slices.Sort(pb)
	return slices.Equal(pa, pb)
}

func prompts(qs []quizflow.Question) []string {
	out := make([]string, len(qs))
	for i, q := range qs {
		out[i] = q.Prompt
	}
	return out
}

package generate

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// recordingTok counts ceil(len/4) per call and records the calls and the
// longest run of non-space characters it was handed.
type recordingTok struct {
	calls, maxRun int
	after         func() // called after each call, if set
}

func (r *recordingTok) Count(text string) int {
	r.calls++
	run := 0
	for _, c := range text {
		if unicode.IsSpace(c) {
			run = 0
			continue
		}
		run += len(string(c))
		r.maxRun = max(r.maxRun, run)
	}
	if r.after != nil {
		r.after()
	}
	return (len(text) + 3) / 4
}

const hugeLen = 1 << 20

func hugeWords() map[string]string {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, hugeLen)
	for i := range b {
		b[i] = byte('a' + r.IntN(26))
	}
	return map[string]string{"repeated": strings.Repeat("a", hugeLen), "random": string(b)}
}

// normalText is prose of about n bytes.
func normalText(n int) string {
	r := rand.New(rand.NewPCG(3, 4))
	words := []string{"the", "quiz", "engine", "reads", "each", "page", "and", "counts", "tokens", "before", "sending", "text", "to", "a", "model."}
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(words[r.IntN(len(words))])
		b.WriteByte(' ')
	}
	return b.String()[:n]
}

func within(got, want, frac float64) bool {
	return got >= want*(1-frac) && got <= want*(1+frac)
}

func TestCountTokensBoundsRuns(t *testing.T) {
	for name, w := range hugeWords() {
		rec := &recordingTok{}
		n, err := CountTokens(context.Background(), rec, w)
		if err != nil {
			t.Fatal(err)
		}
		if rec.maxRun > MaxRun {
			t.Errorf("%s: tokenizer saw a run of %d bytes, want <= %d", name, rec.maxRun, MaxRun)
		}
		if limit := hugeLen/MaxRun + 1; rec.calls > limit {
			t.Errorf("%s: %d tokenizer calls, want <= %d", name, rec.calls, limit)
		}
		if !within(float64(n), float64(hugeLen)/4, 0.10) {
			t.Errorf("%s: count %d, want within 10%% of %d", name, n, hugeLen/4)
		}
	}
}

// With the real encoders, the bounded count of a huge run has the same
// tokens per byte as whole 1 KiB samples of it encoded without cutting.
func TestTiktokenCountsHugeWord(t *testing.T) {
	for _, enc := range []string{EncodingO200K, EncodingCL100K} {
		tk, err := NewTiktoken(enc)
		if err != nil {
			t.Fatal(err)
		}
		for name, w := range hugeWords() {
			n := tk.Count(w)
			sample := 0
			for i := range 16 {
				at := i * (hugeLen / 16)
				sample += tk.encode(w[at : at+1024])
			}
			want := float64(sample) / (16 * 1024) * hugeLen
			if !within(float64(n), want, 0.10) {
				t.Errorf("%s/%s: count %d, want within 10%% of %.0f (from samples)", enc, name, n, want)
			}
		}
	}
}

// Ordinary text (words, newlines, punctuation, non-ASCII) is counted
// exactly as the unbounded encoder counts it.
func TestCountTokensUnchangedForNormalText(t *testing.T) {
	tk := newTok(t)
	text := normalText(200<<10) + "\n\nZweite Seite: Größe, naïve café — 東京 は 大きい。\r\n\tend."
	n, err := CountTokens(context.Background(), tk, text)
	if err != nil {
		t.Fatal(err)
	}
	if want := tk.encode(text); n != want {
		t.Errorf("count %d, unbounded %d", n, want)
	}
}

func TestSplitPagesHugeWord(t *testing.T) {
	tk := newTok(t)
	const budget = 3000
	for name, w := range hugeWords() {
		page := "An introduction sentence. " + w + " A closing sentence."
		rec := &recordingTok{}
		if _, err := SplitPagesContext(context.Background(), []quizflow.Page{{Number: 1, Text: page}}, rec, budget); err != nil {
			t.Fatal(err)
		}
		if rec.maxRun > MaxRun {
			t.Errorf("%s: tokenizer saw a run of %d bytes", name, rec.maxRun)
		}
		chunks, err := SplitPagesContext(context.Background(), []quizflow.Page{{Number: 1, Text: page}}, tk, budget)
		if err != nil {
			t.Fatal(err)
		}
		if len(chunks) < 2 {
			t.Fatalf("%s: %d chunks", name, len(chunks))
		}
		var all strings.Builder
		for _, c := range chunks {
			if c.Tokens > budget {
				t.Errorf("%s: chunk %d has %d tokens > %d", name, c.Index, c.Tokens, budget)
			}
			for _, p := range c.Pages {
				if p.Number != 1 {
					t.Errorf("%s: page number %d", name, p.Number)
				}
				all.WriteString(p.Text)
			}
		}
		// The word's text reaches the model whole, only cut across chunks.
		if !strings.Contains(all.String(), w) {
			t.Errorf("%s: the huge word is not kept intact across chunks", name)
		}
	}
}

func TestCountTokensCancelled(t *testing.T) {
	w := hugeWords()["repeated"]
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := &recordingTok{}
	if _, err := CountTokens(ctx, rec, w); !errors.Is(err, context.Canceled) {
		t.Errorf("CountTokens: err %v, want context.Canceled", err)
	}
	if rec.calls != 0 {
		t.Errorf("%d calls after cancel", rec.calls)
	}
	if _, err := SplitPagesContext(ctx, []quizflow.Page{{Number: 1, Text: w}}, rec, 3000); !errors.Is(err, context.Canceled) {
		t.Errorf("SplitPagesContext: err %v, want context.Canceled", err)
	}

	// Cancelled while counting: it stops at the next piece.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	rec = &recordingTok{}
	rec.after = func() {
		if rec.calls == 10 {
			cancel()
		}
	}
	if _, err := SplitPagesContext(ctx, []quizflow.Page{{Number: 1, Text: w}}, rec, 3000); !errors.Is(err, context.Canceled) {
		t.Errorf("mid-way: err %v, want context.Canceled", err)
	}
	if rec.calls != 10 {
		t.Errorf("mid-way: %d calls, want 10", rec.calls)
	}
}

// BenchmarkCountHugeWord compares counting a page that is one 1 MiB word
// (bounded) with a page of ordinary prose of the same size.
func BenchmarkCountHugeWord(b *testing.B) {
	tk, err := NewTiktoken(EncodingO200K)
	if err != nil {
		b.Fatal(err)
	}
	cases := hugeWords()
	cases["normal-text"] = normalText(hugeLen)
	for _, name := range []string{"repeated", "random", "normal-text"} {
		text := cases[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for range b.N {
				if _, err := CountTokens(context.Background(), tk, text); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

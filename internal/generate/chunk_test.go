package generate

import (
	"slices"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/quizflow"
)

func newTok(t *testing.T) *Tiktoken {
	t.Helper()
	tk, err := NewTiktoken(EncodingO200K)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestSplitPagesKeepsWholePages(t *testing.T) {
	tk := newTok(t)
	page := strings.Repeat("The mitochondria produce energy for the cell. ", 20) // ~180 tokens
	var pages []quizflow.Page
	for i := range 10 {
		pages = append(pages, quizflow.Page{Number: i + 1, Text: page})
	}
	pages = append(pages, quizflow.Page{Number: 11, Text: "   "}) // blank: left out
	chunks := SplitPages(pages, tk, 500)
	var nums []int
	for i, c := range chunks {
		if c.Index != i || c.Tokens > 500 || len(c.Hash) != 64 {
			t.Errorf("chunk %d: index %d tokens %d", i, c.Index, c.Tokens)
		}
		for _, p := range c.Pages {
			nums = append(nums, p.Number)
			if p.Text != strings.TrimSpace(page) {
				t.Errorf("page %d was cut", p.Number)
			}
		}
	}
	if !slices.Equal(nums, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}) {
		t.Errorf("pages in chunks: %v", nums)
	}
	if len(chunks) != 5 {
		t.Errorf("%d chunks, want 5 (two ~180-token pages per 500)", len(chunks))
	}
}

func TestSplitPagesCutsLongPageByParagraph(t *testing.T) {
	tk := newTok(t)
	para := strings.Repeat("Photosynthesis turns light into chemical energy. ", 10)
	long := strings.Join([]string{para, para, para, para, para, para}, "\n\n")
	noBreaks := strings.Repeat("word ", 3000)
	pages := []quizflow.Page{{Number: 1, Text: "Intro page."}, {Number: 2, Text: long}, {Number: 3, Text: noBreaks}}
	chunks := SplitPages(pages, tk, 200)
	for _, c := range chunks {
		if c.Tokens > 200 || tk.Count(joinPages(c.Pages)) > 210 {
			t.Errorf("chunk %d has %d tokens (counted %d), budget 200", c.Index, c.Tokens, tk.Count(joinPages(c.Pages)))
		}
	}
	var text2, text3 []string
	for _, c := range chunks {
		for _, p := range c.Pages {
			switch p.Number {
			case 2:
				text2 = append(text2, p.Text)
				if strings.Count(p.Text, "Photosynthesis") != strings.Count(p.Text, "energy.") {
					t.Errorf("a paragraph piece was cut mid-sentence")
				}
			case 3:
				text3 = append(text3, p.Text)
			}
		}
	}
	if len(text2) < 3 || strings.Count(strings.Join(text2, " "), "Photosynthesis") != 60 {
		t.Errorf("page 2 split into %d pieces losing text", len(text2))
	}
	if len(text3) < 5 || len(strings.Fields(strings.Join(text3, " "))) != 3000 {
		t.Errorf("page 3 split into %d pieces, %d words", len(text3), len(strings.Fields(strings.Join(text3, " "))))
	}
}

func joinPages(ps []quizflow.Page) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.Text)
	}
	return strings.Join(s, "\n\n")
}

func TestAllocate(t *testing.T) {
	mk := func(tokens ...int) []Chunk {
		var cs []Chunk
		for i, n := range tokens {
			cs = append(cs, Chunk{Index: i, Tokens: n})
		}
		return cs
	}
	for _, tc := range []struct {
		tokens []int
		n      int
		want   []int
	}{
		{[]int{1000, 1000}, 10, []int{5, 5}},
		{[]int{3000, 1000}, 8, []int{6, 2}},
		{[]int{1000, 1000, 1000}, 10, []int{3, 4, 3}},
		{[]int{1000, 10, 1000}, 6, []int{3, 0, 3}},                                        // a stray caption gets nothing
		{[]int{10, 20}, 3, []int{1, 2}},                                                   // all small: by size anyway
		{[]int{500, 500, 500, 500, 500, 500, 500, 500}, 2, []int{0, 1, 0, 0, 0, 1, 0, 0}}, // spread, not the first two
	} {
		got := allocate(mk(tc.tokens...), tc.n)
		if !slices.Equal(got, tc.want) {
			t.Errorf("allocate(%v, %d) = %v, want %v", tc.tokens, tc.n, got, tc.want)
		}
		sum := 0
		for _, x := range got {
			sum += x
		}
		if sum != tc.n {
			t.Errorf("allocate(%v, %d) seats %d", tc.tokens, tc.n, sum)
		}
	}
}

func TestCacheKeyCanonical(t *testing.T) {
	a := quizflow.GenerateOptions{QuestionCount: 10, QuestionTypes: []string{"true_false", "multiple_choice"}, Difficulty: "Medium", Language: "en", Instructions: "Focus  on dates"}
	b := quizflow.GenerateOptions{QuestionCount: 10, QuestionTypes: []string{"multiple_choice", "true_false", "true_false"}, Difficulty: "medium", Language: "EN", Instructions: "Focus on dates ", Fresh: true}
	if CacheKey("ABC", a, "u1") != CacheKey("abc", b, "u1") {
		t.Error("equivalent options give different keys")
	}
	c := a
	c.QuestionCount = 11
	for name, k := range map[string]string{
		"count": CacheKey("abc", c, "u1"),
		"owner": CacheKey("abc", a, "u2"),
		"doc":   CacheKey("abd", a, "u1"),
	} {
		if k == CacheKey("abc", a, "u1") {
			t.Errorf("a different %s gives the same key", name)
		}
	}
}

func TestCost(t *testing.T) {
	u := quizflow.Usage{Model: "gpt-4o-mini-2024-07-18", PromptTokens: 1_000_000, CompletionTokens: 1_000_000}
	if got := Cost(u, nil); got < 0.7499 || got > 0.7501 {
		t.Errorf("gpt-4o-mini cost = %v, want 0.75", got)
	}
	u.Model = "gpt-4o-2024-08-06"
	if got := Cost(u, nil); got != 12.5 {
		t.Errorf("gpt-4o cost = %v, want 12.5", got)
	}
	u.Model = "llama3.1:8b"
	if got := Cost(u, nil); got != 0 {
		t.Errorf("unknown model cost = %v, want 0", got)
	}
	if got := Cost(u, map[string]Price{"llama3": {1, 1}}); got != 2 {
		t.Errorf("overridden cost = %v, want 2", got)
	}
}

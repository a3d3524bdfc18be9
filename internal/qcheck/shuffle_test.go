package qcheck_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/qcheck"
	"github.com/quizflow/quizflow/internal/quizflow"
)

func texts(q quizflow.Question) string {
	var s []string
	for _, o := range q.Options {
		mark := ""
		if o.Correct {
			mark = "*"
		}
		s = append(s, o.ID+"="+mark+o.Text)
	}
	return strings.Join(s, " ")
}

func TestPinned(t *testing.T) {
	pinned := []string{"All of the above", "None of the above.", "none of these", "Both A and B", "A and C", "Neither A nor B", "A, B and C", "Options B and D are correct", "all of the previous answers"}
	free := []string{"Oxygen", "Vitamin A and B", "All plants", "Both leaves and roots", "None", "Above the clouds", "A"}
	for _, s := range pinned {
		if !qcheck.Pinned(s) {
			t.Errorf("Pinned(%q) = false", s)
		}
	}
	for _, s := range free {
		if qcheck.Pinned(s) {
			t.Errorf("Pinned(%q) = true", s)
		}
	}
}

func TestShuffleKeepsPinnedLastAndRewritesLetters(t *testing.T) {
	for range 200 {
		q := mc("None of the above", "Oxygen", "Nitrogen", "Both A and C", "*Carbon dioxide")
		// Original letters: a=None, b=Oxygen, c=Nitrogen, d=Both, e=CO2.
		// "Both A and C" names "None of the above" and "Nitrogen".
		if err := qcheck.Shuffle(&q); err != nil {
			t.Fatal(err)
		}
		if err := qcheck.Validate(q); err != nil {
			t.Fatalf("Validate: %v (%s)", err, texts(q))
		}
		if q.Options[3].Text != "None of the above" || !strings.HasPrefix(q.Options[4].Text, "Both ") {
			t.Fatalf("pinned options not last in order: %s", texts(q))
		}
		for i, o := range q.Options {
			if o.ID != qcheck.OptionID(i) {
				t.Fatalf("option %d has ID %q: %s", i, o.ID, texts(q))
			}
		}
		nitrogen := ""
		for _, o := range q.Options {
			if o.Text == "Nitrogen" {
				nitrogen = strings.ToUpper(o.ID)
			}
		}
		if want := fmt.Sprintf("Both D and %s", nitrogen); q.Options[4].Text != want {
			t.Fatalf("letter reference = %q, want %q: %s", q.Options[4].Text, want, texts(q))
		}
	}
}

func TestShuffleTrueFalse(t *testing.T) {
	q := quizflow.Question{Type: quizflow.TrueFalse, Prompt: "Water boils at 100 °C at sea level.", Options: opts("*false", "True")}
	q.Options[0].Correct, q.Options[1].Correct = false, true
	if err := qcheck.Shuffle(&q); err != nil {
		t.Fatal(err)
	}
	if got := texts(q); got != "a=*True b=false" {
		t.Errorf("true_false after Shuffle = %s, want a=*True b=false", got)
	}
}

func TestShuffleOtherTypesUntouched(t *testing.T) {
	q := quizflow.Question{Type: quizflow.ShortAnswer, Prompt: "Name it.", Answers: []string{"x"}}
	if err := qcheck.Shuffle(&q); err != nil || q.Options != nil {
		t.Errorf("Shuffle(short_answer) = %v, options %v", err, q.Options)
	}
}

// TestShuffleUniform checks that all 24 orders of four options are about
// equally likely. With N = 24,000 shuffles each order is expected 1,000
// times; the chi-square statistic over the 24 cells has 23 degrees of
// freedom and P(chi² > 90) ≈ 7e-10 for a uniform shuffle, so a failure
// means a biased shuffle, not bad luck. The same draws check the key's
// position alone: 3 degrees of freedom, P(chi² > 45) ≈ 9e-10.
func TestShuffleUniform(t *testing.T) {
	const n = 24000
	orders := map[string]int{}
	keyPos := make([]int, 4)
	for range n {
		q := mc("*W", "X", "Y", "Z")
		if err := qcheck.Shuffle(&q); err != nil {
			t.Fatal(err)
		}
		var order strings.Builder
		for i, o := range q.Options {
			order.WriteString(o.Text)
			if o.Correct {
				keyPos[i]++
			}
		}
		orders[order.String()]++
	}
	if len(orders) != 24 {
		t.Fatalf("saw %d distinct orders, want 24", len(orders))
	}
	if chi := chiSquare(mapValues(orders), n/24.0); chi > 90 {
		t.Errorf("order chi² = %.1f > 90 (df 23): %v", chi, orders)
	}
	if chi := chiSquare(keyPos, n/4.0); chi > 45 {
		t.Errorf("key position chi² = %.1f > 45 (df 3): %v", chi, keyPos)
	}
}

func chiSquare(observed []int, expected float64) float64 {
	var chi float64
	for _, o := range observed {
		d := float64(o) - expected
		chi += d * d / expected
	}
	return chi
}

func mapValues(m map[string]int) []int {
	var v []int
	for _, c := range m {
		v = append(v, c)
	}
	return v
}

// TestBalance gives Balance 200 four-option questions with the key always
// second, as a lazy model might; by construction every position must then
// hold the key exactly 50 times.
func TestBalance(t *testing.T) {
	qs := make([]quizflow.Question, 200)
	for i := range qs {
		qs[i] = mc("Oxygen", fmt.Sprintf("*Key %d", i), "Nitrogen", "Helium")
	}
	if err := qcheck.Balance(qs); err != nil {
		t.Fatal(err)
	}
	counts := qcheck.PositionCounts(qs)
	for p := range 4 {
		if counts[p] != 50 {
			t.Errorf("position %d holds the key %d times, want 50 (counts %v)", p, counts[p], counts)
		}
	}
	for i, q := range qs {
		if err := qcheck.Validate(q); err != nil {
			t.Fatalf("question %d invalid after Balance: %v", i, err)
		}
		for k, o := range q.Options {
			if o.ID != qcheck.OptionID(k) {
				t.Fatalf("question %d option %d ID %q", i, k, o.ID)
			}
			if o.Correct != strings.HasPrefix(o.Text, "Key ") {
				t.Fatalf("question %d: key moved without its text: %s", i, texts(q))
			}
		}
	}
}

func TestBalanceMixed(t *testing.T) {
	var qs []quizflow.Question
	for i := range 30 {
		switch i % 3 {
		case 0:
			qs = append(qs, mc("*Key", "X", "Y"))
		case 1:
			qs = append(qs, mc("*Key", "X", "Y", "Z"))
		case 2:
			// Pinned options never move and never receive the key.
			qs = append(qs, mc("*Key", "X", "Y", "None of the above"))
		}
	}
	qs = append(qs,
		mc("X", "Y", "*All of the above"),
		quizflow.Question{Type: quizflow.TrueFalse, Prompt: "p", Options: opts("*True", "False")},
		quizflow.Question{Type: quizflow.ShortAnswer, Prompt: "p", Answers: []string{"a"}},
	)
	if err := qcheck.Balance(qs); err != nil {
		t.Fatal(err)
	}
	counts := qcheck.PositionCounts(qs)
	// 20 three-free-option questions: 6 or 7 keys at each of 0..2; ten
	// four-option ones: 2 or 3 at each of 0..3; plus the pinned key at 2.
	for p := range 3 {
		if counts[p] < 8 || counts[p] > 11 {
			t.Errorf("position %d: %d keys, counts %v", p, counts[p], counts)
		}
	}
	if counts[3] < 2 || counts[3] > 3 {
		t.Errorf("position 3: %d keys, counts %v", counts[3], counts)
	}
	for i, q := range qs[:30] {
		if i%3 == 2 && q.Options[3].Text != "None of the above" {
			t.Errorf("pinned option moved: %s", texts(q))
		}
	}
	if got := texts(qs[30]); got != "a=X b=Y c=*All of the above" {
		t.Errorf("pinned key moved: %s", got)
	}
	if got := texts(qs[31]); got != "a=*True b=False" {
		t.Errorf("true_false changed: %s", got)
	}
}

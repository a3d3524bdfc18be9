package qcheck

import (
	"crypto/rand"
	"fmt"
	"maps"
	"math/big"
	"regexp"
	"slices"
	"strings"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Pinned options refer to the other options ("All of the above", "Both A
// and B") and so must stay after them, in their original relative order.
var (
	pinnedAbove = regexp.MustCompile(`^(all|none|neither|both|any) (of )?(the )?(above|these|those|previous|preceding|options|answers|choices)\b`)
	// A letter reference: "A and B", "both A and C", "A, B and D",
	// "only B or C", "options A and B are correct".
	letterRef = regexp.MustCompile(`^(both |neither |only |either |all of |none of )?(options? |answers? |choices? )?[a-f]( ?[a-f])*( and| or| nor| &) [a-f]( (are|is) (correct|true|right))?$`)
	// singleLetter finds the letters of a letter reference in the original
	// text, which Shuffle rewrites when the options they name move.
	singleLetter = regexp.MustCompile(`\b[A-Fa-f]\b`)
)

// Pinned reports whether an option's text refers to the other options,
// such as "All of the above", "None of these" or "Both A and B", and so
// must stay after them.
func Pinned(text string) bool {
	n := Normalize(text)
	return pinnedAbove.MatchString(n) || letterRef.MatchString(n)
}

// OptionID returns the ID of the option at index i: "a", "b", ... "z",
// then "aa", "ab", ...
func OptionID(i int) string {
	if i < 26 {
		return string(rune('a' + i))
	}
	return OptionID(i/26-1) + string(rune('a'+i%26))
}

// Shuffle puts q's options in a uniformly random order drawn from
// crypto/rand (Fisher–Yates), keeping pinned options (see Pinned) last in
// their original order, and then sets the option IDs to "a", "b", "c"...
// in the new order. Letters in pinned options such as "Both A and B" are
// rewritten to follow the options they name. A true_false question gets
// the order True, False. Other types, without options, are left alone.
//
// It returns an error only when the system's random source fails.
func Shuffle(q *quizflow.Question) error {
	switch q.Type {
	case quizflow.TrueFalse:
		order := make([]int, len(q.Options))
		for i := range order {
			order[i] = i
		}
		if len(q.Options) == 2 && Normalize(q.Options[0].Text) == "false" && Normalize(q.Options[1].Text) == "true" {
			order[0], order[1] = 1, 0
		}
		reorder(q, order)
		return nil
	case quizflow.MultipleChoice, quizflow.MultipleAnswer:
	default:
		return nil
	}
	free, pinned := splitPinned(q.Options)
	for i := len(free) - 1; i > 0; i-- {
		j, err := randInt(i + 1)
		if err != nil {
			return err
		}
		free[i], free[j] = free[j], free[i]
	}
	reorder(q, append(free, pinned...))
	return nil
}

// splitPinned returns the indexes of q's unpinned and pinned options, each
// in their current order.
func splitPinned(opts []quizflow.Option) (free, pinned []int) {
	for i, o := range opts {
		if Pinned(o.Text) {
			pinned = append(pinned, i)
		} else {
			free = append(free, i)
		}
	}
	return free, pinned
}

// reorder makes q.Options[k] the option that was at order[k], assigns IDs
// by position and rewrites letter references of pinned options.
func reorder(q *quizflow.Question, order []int) {
	newPos := make(map[string]string, len(order)) // old letter -> new letter
	for k, old := range order {
		newPos[OptionID(old)] = OptionID(k)
	}
	opts := make([]quizflow.Option, len(order))
	for k, old := range order {
		o := q.Options[old]
		o.ID = OptionID(k)
		if letterRef.MatchString(Normalize(o.Text)) {
			o.Text = singleLetter.ReplaceAllStringFunc(o.Text, func(l string) string {
				n, ok := newPos[strings.ToLower(l)]
				if !ok {
					return l
				}
				if l == strings.ToUpper(l) {
					return strings.ToUpper(n)
				}
				return n
			})
		}
		opts[k] = o
	}
	q.Options = opts
}

// Balance places the correct option of each multiple_choice question in qs
// so that, over the quiz, the key sits in every position about equally
// often, whatever the model did (a model that always puts the key second
// yields a quiz with keys spread evenly over a, b, c, d).
//
// Questions are grouped by their number of unpinned options. Within a
// group of k questions with n such options, target positions are full
// rounds of 0..n-1 plus, for the remainder, the positions used least so far
// in the quiz; the targets are dealt out in a random order (crypto/rand)
// and each key is swapped with the option at its target. Position counts
// of a group therefore differ by at most one. Pinned options (see Pinned)
// are first moved to the end and never take part; a question whose correct
// option is pinned, or that has no single correct option, keeps its key
// where it is. Other question types are left alone, except that option IDs
// of every choice question are reassigned "a", "b", ... by position.
//
// It returns an error only when the system's random source fails.
func Balance(qs []quizflow.Question) error {
	type member struct{ q, key int } // question index, key index among free options
	groups := map[int][]member{}
	frees := make([][]int, len(qs))
	pins := make([][]int, len(qs))
	for i := range qs {
		q := &qs[i]
		if q.Type != quizflow.MultipleChoice && q.Type != quizflow.MultipleAnswer {
			continue
		}
		frees[i], pins[i] = splitPinned(q.Options)
		if q.Type != quizflow.MultipleChoice {
			continue
		}
		key, count := -1, 0
		for k, idx := range frees[i] {
			if q.Options[idx].Correct {
				key = k
			}
		}
		for _, o := range q.Options {
			if o.Correct {
				count++
			}
		}
		if key < 0 || count != 1 || len(frees[i]) < 2 {
			continue
		}
		n := len(frees[i])
		groups[n] = append(groups[n], member{i, key})
	}

	used := map[int]int{}
	for _, n := range slices.Sorted(maps.Keys(groups)) {
		g := groups[n]
		targets := make([]int, 0, len(g))
		for range len(g) / n {
			for p := range n {
				targets = append(targets, p)
			}
		}
		rest, err := leastUsed(used, n, len(g)%n)
		if err != nil {
			return err
		}
		targets = append(targets, rest...)
		if err := permute(targets); err != nil {
			return err
		}
		for k, m := range g {
			t := targets[k]
			f := frees[m.q]
			f[m.key], f[t] = f[t], f[m.key]
			used[t]++
		}
	}

	for i := range qs {
		if frees[i] != nil || pins[i] != nil {
			reorder(&qs[i], append(frees[i], pins[i]...))
		}
	}
	return nil
}

// leastUsed returns r distinct positions among 0..n-1 with the lowest
// counts in used, ties broken at random.
func leastUsed(used map[int]int, n, r int) ([]int, error) {
	pos := make([]int, n)
	for i := range pos {
		pos[i] = i
	}
	if err := permute(pos); err != nil {
		return nil, err
	}
	// A stable sort keeps the random order among equal counts.
	slices.SortStableFunc(pos, func(a, b int) int { return used[a] - used[b] })
	return pos[:r], nil
}

// PositionCounts returns, for the multiple_choice questions of qs, how many
// have their (first) correct option at each index: the measure Balance
// evens out.
func PositionCounts(qs []quizflow.Question) map[int]int {
	counts := map[int]int{}
	for _, q := range qs {
		if q.Type != quizflow.MultipleChoice {
			continue
		}
		for i, o := range q.Options {
			if o.Correct {
				counts[i]++
				break
			}
		}
	}
	return counts
}

// permute shuffles s in place with Fisher–Yates on crypto/rand.
func permute(s []int) error {
	for i := len(s) - 1; i > 0; i-- {
		j, err := randInt(i + 1)
		if err != nil {
			return err
		}
		s[i], s[j] = s[j], s[i]
	}
	return nil
}

// randInt returns a uniform random int in [0, n) from crypto/rand.
func randInt(n int) (int, error) {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0, fmt.Errorf("qcheck: random source: %w", err)
	}
	return int(v.Int64()), nil
}

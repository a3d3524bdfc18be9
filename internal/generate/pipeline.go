package generate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/quizflow/quizflow/internal/qcheck"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// Defaults of Config.
const (
	DefaultChunkTokens  = 3000
	DefaultConcurrency  = 4
	DefaultExtraRounds  = 2
	DefaultOverGenerate = 0.4
	// MaxQuestions bounds QuestionCount; the API enforces plan limits.
	MaxQuestions = 200
)

// ErrGenerationMessage is the user-facing message of the EGENERATION error.
const ErrGenerationMessage = "The AI model did not return usable questions for this document; try again later or with fewer questions."

// Config configures a Pipeline. Zero values take the documented defaults.
type Config struct {
	// Model proposes candidate questions. Required.
	Model Model
	// AnswerCheck turns on the answer-key check: each objective question
	// (multiple choice, multiple answer, true/false) is answered by
	// Checker without its key, and a question whose key it disagrees
	// with is dropped.
	AnswerCheck bool
	// Checker answers questions for the key check. Nil means Model, if it
	// implements Answerer; otherwise the check is off.
	Checker Answerer
	// Tokenizer measures chunks. Nil means tiktoken with the encoding of
	// Model.Name() (see EncodingForModel).
	Tokenizer Tokenizer
	// ChunkTokens is the most document tokens sent in one call. Zero means
	// DefaultChunkTokens.
	ChunkTokens int
	// Concurrency bounds parallel model calls of one Generate. Zero means
	// DefaultConcurrency. (The shared rate limit bounds all workers.)
	Concurrency int
	// ExtraRounds bounds the rounds that ask again for the shortfall after
	// rejects. Zero means DefaultExtraRounds; negative means none.
	ExtraRounds int
	// OverGenerate is the fraction of extra candidates asked for, so that
	// rejects can be replaced without another round. Zero means
	// DefaultOverGenerate; negative means none.
	OverGenerate float64
	// Cache keeps each chunk's model answer by job; nil means none.
	Cache ChunkCache
	// Prices override or extend DefaultPrices for Usage.CostUSD.
	Prices map[string]Price
}

// Pipeline is the Generator: chunk, propose in parallel, check, replace
// rejects, select with coverage, shuffle and balance. It is safe for
// concurrent use.
type Pipeline struct {
	cfg     Config
	tok     Tokenizer
	checker Answerer
}

var _ Generator = (*Pipeline)(nil)

// New returns a Pipeline for cfg.
func New(cfg Config) (*Pipeline, error) {
	if cfg.Model == nil {
		return nil, errors.New("generate: Config.Model is required")
	}
	if cfg.ChunkTokens <= 0 {
		cfg.ChunkTokens = DefaultChunkTokens
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.ExtraRounds == 0 {
		cfg.ExtraRounds = DefaultExtraRounds
	}
	if cfg.OverGenerate == 0 {
		cfg.OverGenerate = DefaultOverGenerate
	}
	cfg.OverGenerate = max(0, cfg.OverGenerate)
	p := &Pipeline{cfg: cfg, tok: cfg.Tokenizer}
	if p.tok == nil {
		t, err := NewTiktoken(EncodingForModel(cfg.Model.Name()))
		if err != nil {
			return nil, err
		}
		p.tok = t
	}
	if cfg.AnswerCheck {
		p.checker = cfg.Checker
		if p.checker == nil {
			p.checker, _ = cfg.Model.(Answerer)
		}
	}
	return p, nil
}

// candidate is a question on its way through the checks.
type candidate struct {
	q     quizflow.Question
	chunk int
	seq   int // order of arrival, for stable choices
}

// run is the state of one Generate call.
type run struct {
	p        *Pipeline
	req      Request
	n        int
	types    []string
	chunks   []Chunk
	grounder *qcheck.Grounder
	optsHash string

	accepted []candidate
	seen     [][]string // prompts proposed per chunk, to avoid next time
	fromC    []int      // accepted per chunk
	dry      []bool     // chunk asked and gave nothing new
	drops    map[string]int
	usage    quizflow.Usage
	seq      int
	// badOutput is the last proposal whose output stayed malformed.
	badOutput error

	mu       sync.Mutex
	done     int
	progress int // total of progress steps
}

// Drop reasons, worded to complete "N candidates ...".
const (
	dropType      = "were of a type that was not asked for"
	dropInvalid   = "were malformed"
	dropUngrouded = "were not supported by the document text"
	dropDupOpts   = "had repeated options"
	dropDuplicate = "repeated other questions"
	dropKey       = "had an answer key that a second check disagreed with"
)

// Generate implements Generator.
func (p *Pipeline) Generate(ctx context.Context, req Request) (*Result, error) {
	n := req.Options.QuestionCount
	if n <= 0 || n > MaxQuestions {
		return nil, quizflow.Invalid("question_count", "Ask for between 1 and %d questions.", MaxQuestions)
	}
	opts := canonical(req.Options)
	for _, t := range opts.QuestionTypes {
		if !slices.Contains(quizflow.QuestionTypes, t) {
			return nil, quizflow.Invalid("question_types", "Unknown question type %q.", t)
		}
	}
	chunks, err := SplitPagesContext(ctx, req.Pages, p.tok, p.cfg.ChunkTokens)
	if err != nil {
		return nil, err
	}
	if len(chunks) == 0 {
		return nil, quizflow.Errorf(quizflow.ENOTEXT, "The document has no text to make questions from.")
	}
	avoid := make([]string, len(req.Avoid))
	for i, q := range req.Avoid {
		avoid[i] = q.Prompt
	}
	r := &run{
		p: p, req: req, n: n, types: opts.QuestionTypes, chunks: chunks,
		grounder: qcheck.NewGrounder(req.Pages),
		optsHash: hashJSON([]any{opts, p.cfg.Model.Name(), avoid, p.cfg.OverGenerate})[:16],
		seen:     make([][]string, len(chunks)),
		fromC:    make([]int, len(chunks)),
		dry:      make([]bool, len(chunks)),
		drops:    map[string]int{},
		usage:    quizflow.Usage{Model: p.cfg.Model.Name()},
	}

	shares := allocate(chunks, n)
	asks := make([]int, len(chunks))
	for i, s := range shares {
		if s > 0 {
			asks[i] = s + max(1, int(math.Ceil(float64(s)*p.cfg.OverGenerate)))
			r.progress++
		}
	}
	if err := r.round(ctx, 0, asks); err != nil {
		return nil, err
	}
	for round := 1; round <= p.cfg.ExtraRounds && len(r.accepted) < n; round++ {
		asks := r.shortfall()
		if asks == nil {
			break
		}
		if err := r.round(ctx, round, asks); err != nil {
			return nil, err
		}
	}
	if len(r.accepted) == 0 {
		if r.badOutput != nil {
			// Some reply stayed malformed: a later attempt may well get a
			// usable one, so this is transient, not the document's fault.
			return nil, fmt.Errorf("generate: no usable questions: %w", r.badOutput)
		}
		return nil, &quizflow.Error{Code: quizflow.EGENERATION, Message: ErrGenerationMessage}
	}

	picked := pick(r.accepted, shares, n)
	qs := make([]quizflow.Question, len(picked))
	for i, c := range picked {
		qs[i] = c.q
		if err := qcheck.Shuffle(&qs[i]); err != nil {
			return nil, fmt.Errorf("generate: shuffle: %w", err)
		}
	}
	if err := qcheck.Balance(qs); err != nil {
		return nil, fmt.Errorf("generate: balance: %w", err)
	}
	for i := range qs {
		qs[i].ID = fmt.Sprintf("q%d", i+1)
	}
	r.usage.CostUSD = Cost(r.usage, p.cfg.Prices)
	res := &Result{Questions: qs, Usage: r.usage}
	if len(qs) < n {
		res.Warnings = append(res.Warnings, r.shortfallWarning(len(qs)))
	}
	if req.Progress != nil {
		req.Progress(r.progress, r.progress)
	}
	return res, nil
}

// shortfallWarning explains why fewer questions than asked were made.
func (r *run) shortfallWarning(got int) string {
	var parts []string
	for _, reason := range []string{dropUngrouded, dropDuplicate, dropKey, dropInvalid, dropDupOpts, dropType} {
		if k := r.drops[reason]; k > 0 {
			word := "candidates"
			if k == 1 {
				word, reason = "candidate", strings.Replace(reason, "were ", "was ", 1)
			}
			parts = append(parts, fmt.Sprintf("%d %s %s", k, word, reason))
		}
	}
	why := "the model did not propose enough questions about this document's text"
	if len(parts) > 0 {
		why = strings.Join(parts, ", ")
	}
	return fmt.Sprintf("generated %d of %d questions: %s", got, r.n, why)
}

// round asks the model for asks[i] candidates from chunk i (in parallel),
// checks them and adds the survivors to r.accepted. A chunk whose output
// stayed malformed gives no candidates (and is noted in r.badOutput); any
// other error of a call (transient, or a refusal) is returned once every
// call has ended, so the calls that did finish are cached for the retry.
func (r *run) round(ctx context.Context, round int, asks []int) error {
	results := make([]*Proposed, len(r.chunks))
	var g errgroup.Group
	g.SetLimit(r.p.cfg.Concurrency)
	for i, ask := range asks {
		if ask <= 0 {
			continue
		}
		avoid := r.avoidFor(i)
		g.Go(func() error {
			res, err := r.propose(ctx, round, r.chunks[i], ask, avoid)
			r.mu.Lock()
			if res != nil {
				r.usage.Add(res.Usage)
			}
			if errors.Is(err, ErrBadOutput) {
				r.badOutput = err
			}
			if round == 0 {
				r.done++
				if r.req.Progress != nil {
					r.req.Progress(r.done, r.progress)
				}
			}
			r.mu.Unlock()
			if err != nil && !errors.Is(err, ErrBadOutput) {
				return fmt.Errorf("generate: chunk %d (pages %d-%d): %w", i, r.chunks[i].FirstPage(), r.chunks[i].LastPage(), err)
			}
			if err == nil {
				results[i] = res
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	var fresh []candidate
	for i, res := range results {
		if asks[i] <= 0 {
			continue
		}
		before := len(fresh)
		if res != nil {
			for _, q := range res.Questions {
				r.seen[i] = append(r.seen[i], q.Prompt)
				if c, ok := r.check(q, i, fresh); ok {
					fresh = append(fresh, c)
				}
			}
		}
		r.dry[i] = len(fresh) == before
	}
	fresh, err := r.checkKeys(ctx, round, fresh)
	if err != nil {
		return err
	}
	for _, c := range fresh {
		r.accepted = append(r.accepted, c)
		r.fromC[c.chunk]++
	}
	return nil
}

// avoidFor lists the prompts a call for chunk i must not repeat: the
// request's Avoid and what the chunk already proposed (most recent 40).
func (r *run) avoidFor(i int) []string {
	var out []string
	for _, q := range r.req.Avoid {
		out = append(out, q.Prompt)
	}
	s := r.seen[i]
	if len(s) > 40 {
		s = s[len(s)-40:]
	}
	return append(out, s...)
}

// propose calls the model for one chunk, through the cache.
func (r *run) propose(ctx context.Context, round int, c Chunk, ask int, avoid []string) (*Proposed, error) {
	key := ""
	if r.p.cfg.Cache != nil && r.req.JobID != "" {
		key = fmt.Sprintf("%s:%s:q:r%d:c%d:%s:n%d:%s", r.req.JobID, r.optsHash, round, c.Index, c.Hash[:16], ask, hashJSON(avoid)[:12])
		if b, ok, err := r.p.cfg.Cache.Get(ctx, key); err == nil && ok {
			var res Proposed
			if json.Unmarshal(b, &res) == nil {
				return &res, nil
			}
		}
	}
	o := r.req.Options
	calls := r.calls()
	res, err := r.p.cfg.Model.Propose(ctx, Proposal{
		Title:        r.req.Title,
		Pages:        c.Pages,
		Count:        ask,
		Types:        r.types,
		Difficulty:   o.Difficulty,
		BloomLevels:  o.BloomLevels,
		Language:     o.Language,
		Instructions: o.Instructions,
		Avoid:        avoid,
		OnCall:       calls.record,
	})
	if res != nil {
		calls.rest(res.Usage)
	}
	if err != nil {
		return res, err
	}
	if res == nil {
		return nil, fmt.Errorf("%w: model returned nothing", ErrBadOutput)
	}
	if key != "" {
		if b, err := json.Marshal(res); err == nil {
			_ = r.p.cfg.Cache.Set(ctx, key, b) // best effort: see ChunkCache
		}
	}
	return res, nil
}

// check runs the per-question checks on a candidate from chunk i: type,
// validity, grounding (fixing a wrong page), repeated options, and
// duplicates against accepted questions, this round's survivors and the
// request's Avoid list. It records why a candidate was dropped.
func (r *run) check(q quizflow.Question, chunk int, fresh []candidate) (candidate, bool) {
	drop := func(reason string) (candidate, bool) {
		r.drops[reason]++
		return candidate{}, false
	}
	if !slices.Contains(r.types, q.Type) {
		return drop(dropType)
	}
	if qcheck.Validate(q) != nil {
		// Repeated options are repairable; anything else is not.
		if qcheck.DedupeOptions(&q) == 0 || qcheck.Validate(q) != nil {
			return drop(dropInvalid)
		}
	}
	if !r.grounder.Grounded(q) {
		page, ok := r.grounder.Find(q.Source.Quote)
		if !ok {
			return drop(dropUngrouded)
		}
		q.Source.Page = page
	}
	if qcheck.DedupeOptions(&q) > 0 && qcheck.Validate(q) != nil {
		return drop(dropDupOpts)
	}
	for _, a := range r.req.Avoid {
		if qcheck.IsDuplicate(q, a) {
			return drop(dropDuplicate)
		}
	}
	for _, lists := range [][]candidate{r.accepted, fresh} {
		for _, a := range lists {
			if qcheck.IsDuplicate(q, a.q) {
				return drop(dropDuplicate)
			}
		}
	}
	if d := strings.ToLower(r.req.Options.Difficulty); q.Difficulty == "" && d != "" && d != quizflow.DifficultyMixed {
		q.Difficulty = d
	}
	q.Verified = true // grounded; the key check may still drop it
	r.seq++
	return candidate{q: q, chunk: chunk, seq: r.seq}, true
}

// shortfall plans the next round: the missing questions plus the usual
// margin, spread over chunks that still have text left (not dry, fewer
// questions than their size supports), favouring chunks with few
// questions so far. It returns nil when no chunk is left to ask.
func (r *run) shortfall() []int {
	need := r.n - len(r.accepted)
	if need <= 0 {
		return nil
	}
	w := make([]float64, len(r.chunks))
	any := false
	for i, c := range r.chunks {
		capacity := max(1, c.Tokens/tokensPerQuestion)
		if r.dry[i] || r.fromC[i] >= capacity || (c.Tokens < minChunkTokens && len(r.chunks) > 1) {
			continue
		}
		w[i] = float64(c.Tokens) / float64(1+r.fromC[i])
		any = true
	}
	if !any {
		return nil
	}
	want := need + max(1, int(math.Ceil(float64(need)*r.p.cfg.OverGenerate)))
	return apportion(w, want)
}

// tokensPerQuestion is the least text one question is expected to need;
// it bounds how many questions a chunk is asked for in later rounds.
const tokensPerQuestion = 40

// objective reports whether the key check applies to q.
func objective(q quizflow.Question) bool {
	switch q.Type {
	case quizflow.MultipleChoice, quizflow.MultipleAnswer, quizflow.TrueFalse:
		return true
	}
	return false
}

// checkKeys has the Checker answer this round's objective survivors per
// chunk, without their keys, and drops those whose key it disagrees with.
// Unusable checker output keeps the questions (the check did not run); a
// transient error is returned.
func (r *run) checkKeys(ctx context.Context, round int, fresh []candidate) ([]candidate, error) {
	if r.p.checker == nil || len(fresh) == 0 {
		return fresh, nil
	}
	byChunk := map[int][]int{} // chunk -> indexes into fresh
	for k, c := range fresh {
		if objective(c.q) {
			byChunk[c.chunk] = append(byChunk[c.chunk], k)
		}
	}
	disagree := make([]bool, len(fresh))
	var g errgroup.Group
	g.SetLimit(r.p.cfg.Concurrency)
	var mu sync.Mutex
	for chunk, idx := range byChunk {
		g.Go(func() error {
			items := make([]AnswerItem, len(idx))
			for j, k := range idx {
				q := fresh[k].q
				opts := make([]string, len(q.Options))
				for o := range q.Options {
					opts[o] = q.Options[o].Text
				}
				items[j] = AnswerItem{Type: q.Type, Prompt: q.Prompt, Options: opts, Multiple: q.Type == quizflow.MultipleAnswer}
			}
			ans, err := r.answer(ctx, round, r.chunks[chunk], citedPages(r.chunks[chunk], fresh, idx), items)
			mu.Lock()
			if ans != nil {
				r.usage.Add(ans.Usage)
			}
			mu.Unlock()
			if errors.Is(err, ErrBadOutput) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("generate: answer check of chunk %d: %w", chunk, err)
			}
			for j, k := range idx {
				var got []int
				if j < len(ans.Choices) {
					got = ans.Choices[j]
				}
				if !sameKey(fresh[k].q, got) {
					disagree[k] = true // each k is written by one goroutine only
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := fresh[:0:0]
	for k, c := range fresh {
		if disagree[k] {
			r.drops[dropKey]++
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

// sameKey reports whether choices are exactly q's correct options.
func sameKey(q quizflow.Question, choices []int) bool {
	var want []int
	for i, o := range q.Options {
		if o.Correct {
			want = append(want, i)
		}
	}
	got := slices.Clone(choices)
	slices.Sort(got)
	got = slices.Compact(got)
	return slices.Equal(want, got)
}

// citedPages returns the pages of chunk c that the questions fresh[idx]
// cite. Every question reaching the key check is grounded on its page, so
// the checker needs only those pages, not the whole chunk: this roughly
// halves the tokens the check costs on long documents.
func citedPages(c Chunk, fresh []candidate, idx []int) []quizflow.Page {
	cited := map[int]bool{}
	for _, k := range idx {
		cited[fresh[k].q.Source.Page] = true
	}
	var out []quizflow.Page
	for _, pg := range c.Pages {
		if cited[pg.Number] {
			out = append(out, pg)
		}
	}
	if len(out) == 0 {
		return c.Pages
	}
	return out
}

// answer calls the Checker for one chunk's questions with the pages they
// cite, through the cache.
func (r *run) answer(ctx context.Context, round int, c Chunk, pages []quizflow.Page, items []AnswerItem) (*Answered, error) {
	key := ""
	if r.p.cfg.Cache != nil && r.req.JobID != "" {
		key = fmt.Sprintf("%s:%s:a:r%d:c%d:%s:%s", r.req.JobID, r.optsHash, round, c.Index, c.Hash[:16], hashJSON(items)[:16])
		if b, ok, err := r.p.cfg.Cache.Get(ctx, key); err == nil && ok {
			var res Answered
			if json.Unmarshal(b, &res) == nil {
				return &res, nil
			}
		}
	}
	calls := r.calls()
	res, err := r.p.checker.Answer(ctx, AnswerRequest{Pages: pages, Language: r.req.Options.Language, Items: items, OnCall: calls.record})
	if res != nil {
		calls.rest(res.Usage)
	}
	if err != nil {
		return res, err
	}
	if res == nil {
		return nil, fmt.Errorf("%w: checker returned nothing", ErrBadOutput)
	}
	if key != "" {
		if b, err := json.Marshal(res); err == nil {
			_ = r.p.cfg.Cache.Set(ctx, key, b)
		}
	}
	return res, nil
}

// callLog reports the calls of one Propose or Answer to Request.OnCall as
// the Model reports them, priced, and keeps their sum, so that rest can
// report what a Model returned without having reported it call by call.
type callLog struct {
	r        *run
	mu       sync.Mutex
	reported quizflow.Usage
}

func (r *run) calls() *callLog { return &callLog{r: r} }

// record reports one call of the Model.
func (l *callLog) record(u quizflow.Usage) {
	l.mu.Lock()
	l.reported.Add(u)
	l.mu.Unlock()
	l.r.report(u)
}

// rest reports the part of total (what the Model returned) that it did not
// report call by call: all of it for a Model that never calls OnCall.
func (l *callLog) rest(total quizflow.Usage) {
	l.mu.Lock()
	u := quizflow.Usage{
		Model:            total.Model,
		Calls:            total.Calls - l.reported.Calls,
		PromptTokens:     total.PromptTokens - l.reported.PromptTokens,
		CompletionTokens: total.CompletionTokens - l.reported.CompletionTokens,
	}
	l.reported.Add(u)
	l.mu.Unlock()
	if u.Calls > 0 || u.PromptTokens > 0 || u.CompletionTokens > 0 {
		l.r.report(u)
	}
}

// report prices u and passes it to Request.OnCall.
func (r *run) report(u quizflow.Usage) {
	if r.req.OnCall == nil {
		return
	}
	if u.Model == "" {
		u.Model = r.p.cfg.Model.Name()
	}
	u.CostUSD = Cost(u, r.p.cfg.Prices)
	r.req.OnCall(u)
}

// pick chooses n of the accepted candidates so the quiz covers the
// document: first up to each chunk's share (in arrival order), then the
// rest round-robin from the chunks with the fewest picked relative to
// their share. The result is in document order.
func pick(acc []candidate, shares []int, n int) []candidate {
	if len(acc) <= n {
		out := slices.Clone(acc)
		sortByDocument(out)
		return out
	}
	byChunk := map[int][]candidate{}
	for _, c := range acc {
		byChunk[c.chunk] = append(byChunk[c.chunk], c)
	}
	taken := make([]int, len(shares))
	var out []candidate
	for ch, cs := range byChunk {
		k := min(len(cs), shares[ch])
		out = append(out, cs[:k]...)
		taken[ch] = k
	}
	for len(out) < n {
		best := -1
		for ch, cs := range byChunk {
			if taken[ch] >= len(cs) {
				continue
			}
			score := float64(taken[ch]) / float64(shares[ch]+1)
			if best < 0 || score < float64(taken[best])/float64(shares[best]+1) || (score == float64(taken[best])/float64(shares[best]+1) && ch < best) {
				best = ch
			}
		}
		if best < 0 {
			break
		}
		out = append(out, byChunk[best][taken[best]])
		taken[best]++
	}
	if len(out) > n { // shares sum to n, so only if shares were off
		out = out[:n]
	}
	sortByDocument(out)
	return out
}

func sortByDocument(cs []candidate) {
	slices.SortStableFunc(cs, func(a, b candidate) int {
		if a.chunk != b.chunk {
			return a.chunk - b.chunk
		}
		if a.q.Source.Page != b.q.Source.Page {
			return a.q.Source.Page - b.q.Source.Page
		}
		return a.seq - b.seq
	})
}

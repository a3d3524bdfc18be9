// Package generate turns extracted document text into quiz questions.
//
// A Generator runs the whole stage: it splits the document into chunks,
// asks a Model for candidate questions per chunk, and keeps only those that
// pass the checks of package qcheck (valid per type, grounded in the page
// they cite, not duplicates), so every quiz meets the same guarantees
// whichever model wrote it.
package generate

import (
	"context"
	"errors"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// ErrBadOutput marks a Model or Answerer error caused by output that stayed
// unusable (not JSON, wrong schema) after the implementation's own repair
// and re-asking. Retrying the task will not help; the pipeline treats the
// chunk as having no candidates. Implementations wrap it:
// fmt.Errorf("%w: ...", generate.ErrBadOutput). Any other error from a
// Model is taken as transient (HTTP 429/5xx, timeouts) and fails Generate
// with a plain error so the task is retried.
var ErrBadOutput = errors.New("model output unusable")

// Generator makes the questions of one quiz.
type Generator interface {
	// Generate returns questions for req. It returns a *quizflow.Error
	// (EGENERATION) when no valid quiz can be made from the input, and any
	// other error for a transient fault worth retrying.
	Generate(ctx context.Context, req Request) (*Result, error)
}

// Request is what to generate questions from.
type Request struct {
	// JobID identifies the work, so results of finished chunks can be kept
	// and reused when a retried task runs again.
	JobID   string
	Title   string
	Pages   []quizflow.Page
	Options quizflow.GenerateOptions
	// Avoid lists questions the new ones must not duplicate (used when one
	// question of an existing quiz is regenerated).
	Avoid []quizflow.Question
	// Progress, if set, is called as chunks finish.
	Progress func(done, total int)
}

// Result is a generated set of questions and what it cost.
type Result struct {
	Questions []quizflow.Question
	Usage     quizflow.Usage
	// Warnings explain shortfalls, e.g. fewer questions than asked.
	Warnings []string
}

// Model proposes candidate questions for one chunk of a document. The
// Generator validates, grounds, de-duplicates and balances what it returns.
type Model interface {
	// Name is the model's name as recorded in usage.
	Name() string
	// Propose returns up to p.Count candidate questions.
	Propose(ctx context.Context, p Proposal) (*Proposed, error)
}

// Proposal asks a Model for questions about some pages.
type Proposal struct {
	// Title is the document's title, if known.
	Title        string
	Pages        []quizflow.Page
	Count        int
	Types        []string
	Difficulty   string
	BloomLevels  []string
	Language     string
	Instructions string
	// Avoid holds prompts of questions that already exist.
	Avoid []string
}

// Proposed is a Model's answer to a Proposal.
type Proposed struct {
	Questions []quizflow.Question
	Usage     quizflow.Usage
}

// Answerer answers objective questions without seeing their key, so a
// second opinion can catch a wrong answer key.
type Answerer interface {
	// Answer returns, for each item of a.Items in order, the indexes
	// (0-based, into the item's options) that it takes to be correct.
	Answer(ctx context.Context, a AnswerRequest) (*Answered, error)
}

// AnswerRequest asks an Answerer to answer questions about some pages.
type AnswerRequest struct {
	Pages    []quizflow.Page
	Language string
	Items    []AnswerItem
}

// AnswerItem is one question as a student sees it: no key, no explanation.
type AnswerItem struct {
	Type    string
	Prompt  string
	Options []string
	// Multiple is true when more than one option may be correct.
	Multiple bool
}

// Answered is an Answerer's reply: Choices[i] answers Items[i].
type Answered struct {
	Choices [][]int
	Usage   quizflow.Usage
}

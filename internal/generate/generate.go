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

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Generator makes the questions of one quiz.
type Generator interface {
	// Generate returns questions for req. It returns a *quizflow.Error
	// (EGENERATION) when the model answered well but no valid quiz can be
	// made from the input; an error wrapping ErrBadOutput when no question
	// was accepted and some reply stayed malformed (worth retrying); a
	// *RefusedError when the model server refused the request (not worth
	// retrying); and any other error, such as ErrUnavailable, for a
	// transient fault worth retrying. See failure.go.
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
	// OnCall, if set, is called once for each model call as it completes
	// (re-asks of malformed output and answer checks included; a chunk
	// served from the cache made no call), with that call's usage and
	// cost, so what was spent is known even if the run never returns. It
	// may be called concurrently, and must not retain u past the call.
	OnCall func(u quizflow.Usage) `json:"-"`
}

// Result is a generated set of questions and what it cost.
type Result struct {
	Questions []quizflow.Question
	// Usage sums this run's calls and those of the cached chunks it
	// reused. Calls of an earlier run that ended early are only known to
	// Request.OnCall.
	Usage quizflow.Usage
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
	// OnCall, if set, is called after each call the Model makes to its
	// server (a re-ask included) with that call's usage (Calls 1). A Model
	// that does not report calls has the usage it returns recorded when
	// Propose returns.
	OnCall func(u quizflow.Usage) `json:"-"`
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
	// OnCall is as Proposal.OnCall.
	OnCall func(u quizflow.Usage) `json:"-"`
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

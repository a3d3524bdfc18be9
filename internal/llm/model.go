package llm

import (
	"context"
	"errors"

	openai "github.com/sashabaranov/go-openai"

	"github.com/quizflow/quizflow/internal/generate"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// Propose asks the model for p.Count questions about p.Pages. It returns
// every well-formed question the model wrote (possibly more or fewer than
// p.Count); the pipeline validates each. Errors wrap generate.ErrBadOutput
// when the reply stayed malformed, are a *generate.RefusedError when the
// server refused the key, model or request, and wrap
// generate.ErrUnavailable when it could not be reached (see call).
func (c *Client) Propose(ctx context.Context, p generate.Proposal) (*generate.Proposed, error) {
	msgs := []openai.ChatCompletionMessage{
		{Role: openai.ChatMessageRoleSystem, Content: questionsSystem(p)},
		{Role: openai.ChatMessageRoleUser, Content: questionsUser(p)},
	}
	v, usage, err := c.structured(ctx, msgs, QuestionsSchemaName, questionsSchema(p.Types),
		func() any { return new(wireQuestions) },
		func(v any) error {
			if v.(*wireQuestions).Questions == nil {
				return errors.New(`the object has no "questions" array`)
			}
			return nil
		}, p.OnCall)
	if err != nil {
		return &generate.Proposed{Usage: usage}, err
	}
	wq := *v.(*wireQuestions).Questions
	out := &generate.Proposed{Usage: usage, Questions: make([]quizflow.Question, 0, len(wq))}
	for _, w := range wq {
		out.Questions = append(out.Questions, w.toQuestion())
	}
	return out, nil
}

// Answer asks the model to answer a.Items without their keys. An item it
// skipped or answered with letters out of range gets no choices, which the
// pipeline reads as disagreement.
func (c *Client) Answer(ctx context.Context, a generate.AnswerRequest) (*generate.Answered, error) {
	msgs := []openai.ChatCompletionMessage{
		{Role: openai.ChatMessageRoleSystem, Content: answersSystem},
		{Role: openai.ChatMessageRoleUser, Content: answersUser(a)},
	}
	v, usage, err := c.structured(ctx, msgs, AnswersSchemaName, answersSchema(),
		func() any { return new(wireAnswers) },
		func(v any) error {
			if v.(*wireAnswers).Answers == nil {
				return errors.New(`the object has no "answers" array`)
			}
			return nil
		}, a.OnCall)
	if err != nil {
		return &generate.Answered{Usage: usage}, err
	}
	out := &generate.Answered{Usage: usage, Choices: make([][]int, len(a.Items))}
	for _, ans := range *v.(*wireAnswers).Answers {
		i := ans.N - 1
		if i < 0 || i >= len(a.Items) {
			continue
		}
		var picks []int
		for _, s := range ans.Selected {
			if len(s) != 1 {
				continue
			}
			j := int(s[0] - 'A')
			if j >= 0 && j < len(a.Items[i].Options) {
				picks = append(picks, j)
			}
		}
		out.Choices[i] = picks
	}
	return out, nil
}

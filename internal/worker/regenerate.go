package worker

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/hibiken/asynq"

	"github.com/quizflow/quizflow/internal/generate"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/jobs"
)

// regenerateHandler replaces one question of a quiz with a new one of the
// same type that duplicates none of the quiz's questions.
type regenerateHandler struct{ d Deps }

// replacementID derives the new question's ID from the job, so a handler
// that runs twice recognises its own finished work.
func replacementID(jobID string) string {
	return "q_" + strings.TrimPrefix(jobID, "job_")
}

func (h *regenerateHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p jobs.RegeneratePayload
	if err := jobs.Decode(t, &p); err != nil {
		return err
	}
	d := h.d
	if _, err := loadJob(ctx, d, p.JobID); err != nil {
		return err
	}
	if err := d.Store.JobAttempt(ctx, p.JobID); err != nil {
		return err
	}
	if _, err := d.Store.Quiz(ctx, p.QuizID, p.OwnerID); err != nil {
		if quizflow.ErrorCode(err) == quizflow.ENOTFOUND {
			return quizflow.Errorf(quizflow.ENOTFOUND, "The quiz was deleted before the question could be replaced.")
		}
		return err
	}
	newID := replacementID(p.JobID)
	calls := newCallRecorder(ctx, d, p.JobID)
	var res *generate.Result
	var usage quizflow.Usage
	_, err := d.Quizzes.Edit(ctx, p.OwnerID, p.QuizID, func(quiz *quizflow.Quiz) error {
		if slices.ContainsFunc(quiz.Questions, func(q quizflow.Question) bool { return q.ID == newID }) {
			return errReplaced
		}
		i := slices.IndexFunc(quiz.Questions, func(q quizflow.Question) bool { return q.ID == p.QuestionID })
		if i < 0 {
			return quizflow.Errorf(quizflow.ENOTFOUND, "The question was deleted before it could be replaced.")
		}
		doc, err := d.Store.Document(ctx, quiz.DocumentID, p.OwnerID)
		if err != nil {
			if quizflow.ErrorCode(err) == quizflow.ENOTFOUND {
				return quizflow.Errorf(quizflow.ENOTFOUND, "The quiz's document was deleted, so no new question can be grounded in it.")
			}
			return err
		}
		pages, err := loadText(ctx, d, doc)
		if err != nil {
			return err
		}
		progress(ctx, d, p.JobID, quizflow.StageGenerating, 20, "Writing a new question")
		opts := quiz.Options
		opts.QuestionCount = 1
		opts.QuestionTypes = []string{quiz.Questions[i].Type}
		// Redone on a fresh quiz after a concurrent edit; the chunk cache
		// spares the second model call.
		res, err = d.Generator.Generate(ctx, generate.Request{
			JobID: p.JobID, Title: quiz.Title, Pages: pages, Options: opts, Avoid: quiz.Questions,
			OnCall: calls.record,
		})
		if err != nil {
			return err
		}
		// Every call of the job so far, earlier attempts' included.
		if usage, err = calls.total(ctx, res.Usage); err != nil {
			return err
		}
		if len(res.Questions) == 0 {
			return quizflow.Errorf(quizflow.EGENERATION, "No new question different from the others could be written from this document.")
		}
		nq := res.Questions[0]
		nq.ID = newID
		quiz.Questions[i] = nq
		quiz.Usage.Add(usage)
		return nil
	})
	result := quizflow.JobResult{QuizID: p.QuizID, QuestionID: newID}
	switch {
	case errors.Is(err, errReplaced):
		// Done by an earlier run that stopped before finishing the job.
		return d.Store.SucceedJob(ctx, p.JobID, result, nil, nil)
	case err == nil:
		if err := d.Store.SucceedJob(ctx, p.JobID, result, &usage, res.Warnings); err != nil {
			return err
		}
		calls.settle(ctx, usage)
		return nil
	}
	return err
}

// errReplaced ends an edit whose replacement question is already in place.
var errReplaced = errors.New("question already replaced")

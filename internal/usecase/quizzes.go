package usecase

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/quizflow/quizflow/internal/qcheck"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/jobs"
)

// Quizzes implements quizflow.QuizService.
type Quizzes struct{ *core }

var _ quizflow.QuizService = (*Quizzes)(nil)

// Bounds of quiz edits.
const (
	maxTitleLen      = 200
	maxQuizQuestions = 2 * quizflow.MaxQuestionsPro
	maxQuestionIDLen = 64
	// editAttempts is how often an edit is redone on a fresh quiz when a
	// concurrent edit won, before ECONFLICT.
	editAttempts = 3
)

// CreateQuiz implements quizflow.QuizService.
func (s *Quizzes) CreateQuiz(ctx context.Context, user *quizflow.User, docID string, opts quizflow.GenerateOptions) (*quizflow.Job, error) {
	doc, err := s.ownedDocument(ctx, user, docID)
	if err != nil {
		return nil, err
	}
	plan, st, _, err := s.standing(ctx, user)
	if err != nil {
		return nil, err
	}
	if err := s.checkOptions(plan, &opts); err != nil {
		return nil, err
	}
	switch doc.Status {
	case quizflow.DocumentExtracted:
	case quizflow.DocumentFailed:
		return nil, quizflow.Errorf(quizflow.ECONFLICT, "No text could be read from this document, so no quiz can be made from it.")
	default:
		return nil, quizflow.Errorf(quizflow.ECONFLICT, "The document is still being read; try again when its first job has finished.")
	}
	jobID := quizflow.NewID("job")
	if err := s.charge(ctx, user, plan, st, quizflow.QuotaQuizzes, jobID); err != nil {
		return nil, err
	}
	job, err := s.startQuizJob(ctx, doc, opts, false, jobID, plan.MaxPages)
	if err != nil {
		s.Refund(ctx, jobID)
		return nil, err
	}
	return job, nil
}

// Quiz implements quizflow.QuizService.
func (s *Quizzes) Quiz(ctx context.Context, user *quizflow.User, id string) (*quizflow.Quiz, error) {
	if err := validID("quiz", id, "quiz"); err != nil {
		return nil, err
	}
	return s.Store.Quiz(ctx, id, user.ID)
}

// Quizzes implements quizflow.QuizService.
func (s *Quizzes) Quizzes(ctx context.Context, user *quizflow.User, p quizflow.PageRequest) ([]quizflow.Quiz, string, error) {
	return s.Store.Quizzes(ctx, user.ID, p)
}

// Edit loads owner's quiz id, applies edit and saves the result as a new
// version. When a concurrent edit saved first, edit runs again on the fresh
// quiz, a few times, before ECONFLICT. An error from edit ends the edit
// with nothing saved. It returns ENOTFOUND for a missing quiz. Both the
// API's edits and the workers' question regeneration go through it.
func (s *Quizzes) Edit(ctx context.Context, owner, id string, edit func(*quizflow.Quiz) error) (*quizflow.Quiz, error) {
	var err error
	for range editAttempts {
		var q *quizflow.Quiz
		q, err = s.Store.Quiz(ctx, id, owner)
		if err != nil {
			return nil, err
		}
		if err := edit(q); err != nil {
			return nil, err
		}
		if err = s.Store.UpdateQuiz(ctx, q); err == nil {
			return q, nil
		}
		if quizflow.ErrorCode(err) != quizflow.ECONFLICT {
			return nil, err
		}
	}
	return nil, err
}

// edit is Edit of user's quiz id, after checking the ID's shape. With a
// version precondition in ctx (quizflow.WithIfVersion: the client's
// If-Match) the edit applies only to that version: a quiz changed since is
// ECONFLICT, also when the change lands between this read and the write.
func (s *Quizzes) edit(ctx context.Context, user *quizflow.User, id string, edit func(*quizflow.Quiz) error) (*quizflow.Quiz, error) {
	if err := validID("quiz", id, "quiz"); err != nil {
		return nil, err
	}
	if want, ok := quizflow.IfVersion(ctx); ok {
		inner := edit
		edit = func(q *quizflow.Quiz) error {
			if q.Version != want {
				return &quizflow.Error{Code: quizflow.ECONFLICT, Field: "If-Match",
					Message: fmt.Sprintf("The quiz changed since version %d (it is at version %d now); load it again and redo the edit.", want, q.Version)}
			}
			return inner(q)
		}
	}
	return s.Edit(ctx, user.ID, id, edit)
}

// UpdateQuiz implements quizflow.QuizService.
func (s *Quizzes) UpdateQuiz(ctx context.Context, user *quizflow.User, id string, u quizflow.QuizUpdate) (*quizflow.Quiz, error) {
	return s.edit(ctx, user, id, func(q *quizflow.Quiz) error {
		if u.Title != nil {
			t := strings.TrimSpace(*u.Title)
			if t == "" || utf8.RuneCountInString(t) > maxTitleLen {
				return quizflow.Invalid("title", "The title must be 1 to %d characters.", maxTitleLen)
			}
			q.Title = t
		}
		if u.QuestionOrder != nil {
			ordered, err := reorder(q.Questions, u.QuestionOrder)
			if err != nil {
				return err
			}
			q.Questions = ordered
		}
		return nil
	})
}

// reorder returns qs in the order of ids, which must list each once.
func reorder(qs []quizflow.Question, ids []string) ([]quizflow.Question, error) {
	if len(ids) != len(qs) {
		return nil, quizflow.Invalid("question_order", "question_order must list each of the quiz's %d question ids once.", len(qs))
	}
	byID := map[string]quizflow.Question{}
	for _, qu := range qs {
		byID[qu.ID] = qu
	}
	ordered := make([]quizflow.Question, 0, len(qs))
	for _, id := range ids {
		qu, ok := byID[id]
		if !ok {
			return nil, quizflow.Invalid("question_order", "question_order must list each of the quiz's question ids exactly once.")
		}
		delete(byID, id)
		ordered = append(ordered, qu)
	}
	return ordered, nil
}

// UpdateQuestion implements quizflow.QuizService.
func (s *Quizzes) UpdateQuestion(ctx context.Context, user *quizflow.User, quizID, qid string, u quizflow.QuestionUpdate) (*quizflow.Question, error) {
	var edited quizflow.Question
	_, err := s.edit(ctx, user, quizID, func(q *quizflow.Quiz) error {
		i := questionIndex(q, qid)
		if i < 0 {
			return errQuestionNotFound
		}
		edited = q.Questions[i]
		edited.Options = slices.Clone(edited.Options)
		applyUpdate(&edited, u)
		if err := s.checkQuestion(ctx, q, &edited); err != nil {
			return err
		}
		q.Questions[i] = edited
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &edited, nil
}

var errQuestionNotFound = quizflow.Errorf(quizflow.ENOTFOUND, "question not found")

// applyUpdate sets the fields of u that are not nil on q, trimming text.
func applyUpdate(q *quizflow.Question, u quizflow.QuestionUpdate) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	set(&q.Type, u.Type)
	set(&q.Prompt, u.Prompt)
	set(&q.Explanation, u.Explanation)
	set(&q.Difficulty, u.Difficulty)
	set(&q.BloomLevel, u.BloomLevel)
	// Lists are copied: checkQuestion normalises them in place, and the
	// caller's update must not change.
	if u.Options != nil {
		q.Options = slices.Clone(*u.Options)
	}
	if u.Answers != nil {
		q.Answers = slices.Clone(*u.Answers)
	}
	if u.Pairs != nil {
		q.Pairs = slices.Clone(*u.Pairs)
	}
	if u.Source != nil {
		q.Source = *u.Source
	}
	if u.Points != nil {
		q.Points = *u.Points
	}
}

// AddQuestion implements quizflow.QuizService.
func (s *Quizzes) AddQuestion(ctx context.Context, user *quizflow.User, quizID string, nq quizflow.Question) (*quizflow.Question, error) {
	nq.ID = quizflow.NewID("q")
	_, err := s.edit(ctx, user, quizID, func(q *quizflow.Quiz) error {
		if len(q.Questions) >= maxQuizQuestions {
			return quizflow.Errorf(quizflow.EINVALID, "A quiz holds at most %d questions.", maxQuizQuestions)
		}
		if err := s.checkQuestion(ctx, q, &nq); err != nil {
			return err
		}
		q.Questions = append(q.Questions, nq)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &nq, nil
}

// DeleteQuestion implements quizflow.QuizService.
func (s *Quizzes) DeleteQuestion(ctx context.Context, user *quizflow.User, quizID, qid string) error {
	_, err := s.edit(ctx, user, quizID, func(q *quizflow.Quiz) error {
		i := questionIndex(q, qid)
		if i < 0 {
			return errQuestionNotFound
		}
		q.Questions = slices.Delete(q.Questions, i, i+1)
		return nil
	})
	return err
}

// RegenerateQuestion implements quizflow.QuizService.
func (s *Quizzes) RegenerateQuestion(ctx context.Context, user *quizflow.User, quizID, qid string) (*quizflow.Job, error) {
	q, err := s.Quiz(ctx, user, quizID)
	if err != nil {
		return nil, err
	}
	if questionIndex(q, qid) < 0 {
		return nil, errQuestionNotFound
	}
	plan, st, _, err := s.standing(ctx, user)
	if err != nil {
		return nil, err
	}
	job := &quizflow.Job{
		ID: quizflow.NewID("job"), OwnerID: q.OwnerID, Kind: quizflow.JobRegenerate,
		DocumentID: q.DocumentID, QuizID: q.ID, QuestionID: qid, RequestID: quizflow.RequestID(ctx),
	}
	if err := s.charge(ctx, user, plan, st, quizflow.QuotaRegenerations, job.ID); err != nil {
		return nil, err
	}
	if err := s.Store.CreateJob(ctx, job); err != nil {
		s.Refund(ctx, job.ID)
		return nil, err
	}
	task, err := jobs.NewRegenerateTask(jobs.RegeneratePayload{
		JobID: job.ID, QuizID: q.ID, QuestionID: qid, OwnerID: q.OwnerID, RequestID: job.RequestID,
	})
	if err := s.enqueue(ctx, job, task, err); err != nil {
		s.Refund(ctx, job.ID)
		return nil, err
	}
	return job, nil
}

// DeleteQuiz implements quizflow.QuizService.
func (s *Quizzes) DeleteQuiz(ctx context.Context, user *quizflow.User, id string) error {
	q, err := s.Quiz(ctx, user, id)
	if err != nil {
		return err
	}
	if err := s.deleteExports(ctx,
		func() ([]quizflow.Export, error) { return s.Store.ExportsOfQuiz(ctx, q.OwnerID, q.ID) },
		func() error { return s.Store.DeleteExportsOfQuiz(ctx, q.OwnerID, q.ID) },
	); err != nil {
		return err
	}
	return s.Store.DeleteQuiz(ctx, q.ID)
}

func questionIndex(q *quizflow.Quiz, id string) int {
	if id == "" || len(id) > maxQuestionIDLen {
		return -1
	}
	return slices.IndexFunc(q.Questions, func(qu quizflow.Question) bool { return qu.ID == id })
}

// checkQuestion normalises and validates a user-written question: option
// IDs are assigned when missing, the per-type rules of generated questions
// apply, duplicates of other questions are refused, and Verified records
// whether its source quote is on the cited page of the document.
func (s *Quizzes) checkQuestion(ctx context.Context, quiz *quizflow.Quiz, q *quizflow.Question) error {
	if q.Options == nil {
		q.Options = []quizflow.Option{}
	}
	if q.Answers == nil {
		q.Answers = []string{}
	}
	used := map[string]bool{}
	for _, o := range q.Options {
		if o.ID != "" && len(o.ID) <= 8 {
			used[o.ID] = true
		}
	}
	next := 0 // new options take the first option IDs not in use
	for i := range q.Options {
		q.Options[i].Text = strings.TrimSpace(q.Options[i].Text)
		if q.Options[i].ID == "" || len(q.Options[i].ID) > 8 {
			for used[qcheck.OptionID(next)] {
				next++
			}
			q.Options[i].ID = qcheck.OptionID(next)
			used[q.Options[i].ID] = true
		}
	}
	if err := qcheck.Validate(*q); err != nil {
		return err
	}
	q.Difficulty = strings.ToLower(q.Difficulty)
	switch q.Difficulty {
	case "", quizflow.DifficultyEasy, quizflow.DifficultyMedium, quizflow.DifficultyHard:
	default:
		return quizflow.Invalid("difficulty", "difficulty must be easy, medium or hard.")
	}
	q.BloomLevel = strings.ToLower(q.BloomLevel)
	if q.BloomLevel != "" && !slices.Contains(quizflow.BloomLevels, q.BloomLevel) {
		return quizflow.Invalid("bloom_level", "bloom_level must be one of %s.", strings.Join(quizflow.BloomLevels, ", "))
	}
	if !(q.Points >= 0 && q.Points <= quizflow.MaxPointsPerQuestion) { // also refuses NaN
		return quizflow.Invalid("points", "points must be from 0 (the export's default) to %d.", quizflow.MaxPointsPerQuestion)
	}
	for _, other := range quiz.Questions {
		if other.ID != q.ID && qcheck.IsDuplicate(other, *q) {
			return quizflow.Invalid("prompt", "This question duplicates question %s of the quiz.", other.ID)
		}
	}
	q.Verified = false
	if q.Source.Quote != "" && q.Source.Page > 0 {
		pages, err := s.documentPages(ctx, quiz.DocumentID, quiz.OwnerID)
		if err != nil && quizflow.ErrorCode(err) != quizflow.ENOTFOUND {
			return err
		}
		q.Verified = qcheck.Grounded(*q, pages)
	}
	return nil
}

// documentPages reads a document's extracted text; ENOTFOUND if there is
// none.
func (c *core) documentPages(ctx context.Context, docID, owner string) ([]quizflow.Page, error) {
	doc, err := c.Store.Document(ctx, docID, owner)
	if err != nil {
		return nil, err
	}
	if doc.TextKey == "" {
		return nil, quizflow.Errorf(quizflow.ENOTFOUND, "no text")
	}
	return c.Blobs.GetText(ctx, doc.TextKey)
}

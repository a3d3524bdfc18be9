package httpapi

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/quizflow/quizflow/internal/qcheck"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/jobs"
)

// Bounds of quiz edits.
const (
	maxTitleLen      = 200
	maxQuizQuestions = 2 * quizflow.MaxQuestionsPro
	maxQuestionIDLen = 64
)

type quizPatch struct {
	Title         *string  `json:"title"`
	QuestionOrder []string `json:"question_order"`
}

// patchQuiz changes a quiz's title and/or question order.
func (s *Server) patchQuiz(c echo.Context) error {
	var p quizPatch
	if err := bindJSON(c, &p); err != nil {
		return err
	}
	return s.editQuiz(c, http.StatusOK, func(q *quizflow.Quiz) (any, error) {
		if p.Title != nil {
			t := strings.TrimSpace(*p.Title)
			if t == "" || utf8.RuneCountInString(t) > maxTitleLen {
				return nil, quizflow.Invalid("title", "The title must be 1 to %d characters.", maxTitleLen)
			}
			q.Title = t
		}
		if p.QuestionOrder != nil {
			byID := map[string]quizflow.Question{}
			for _, qu := range q.Questions {
				byID[qu.ID] = qu
			}
			if len(p.QuestionOrder) != len(q.Questions) {
				return nil, quizflow.Invalid("question_order", "question_order must list each of the quiz's %d question ids once.", len(q.Questions))
			}
			ordered := make([]quizflow.Question, 0, len(q.Questions))
			for _, id := range p.QuestionOrder {
				qu, ok := byID[id]
				if !ok {
					return nil, quizflow.Invalid("question_order", "question_order must list each of the quiz's question ids exactly once.")
				}
				delete(byID, id)
				ordered = append(ordered, qu)
			}
			q.Questions = ordered
		}
		return q, nil
	})
}

// questionPatch holds the fields a PATCH may change; absent fields stay.
type questionPatch struct {
	Type        *string            `json:"type"`
	Prompt      *string            `json:"prompt"`
	Options     *[]quizflow.Option `json:"options"`
	Answers     *[]string          `json:"answers"`
	Pairs       *[]quizflow.Pair   `json:"pairs"`
	Explanation *string            `json:"explanation"`
	Source      *quizflow.Source   `json:"source"`
	Difficulty  *string            `json:"difficulty"`
	BloomLevel  *string            `json:"bloom_level"`
	Points      *float64           `json:"points"`
}

func (p questionPatch) apply(q *quizflow.Question) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	set(&q.Type, p.Type)
	set(&q.Prompt, p.Prompt)
	set(&q.Explanation, p.Explanation)
	set(&q.Difficulty, p.Difficulty)
	set(&q.BloomLevel, p.BloomLevel)
	if p.Options != nil {
		q.Options = *p.Options
	}
	if p.Answers != nil {
		q.Answers = *p.Answers
	}
	if p.Pairs != nil {
		q.Pairs = *p.Pairs
	}
	if p.Source != nil {
		q.Source = *p.Source
	}
	if p.Points != nil {
		q.Points = *p.Points
	}
}

// patchQuestion edits one question; the result is validated like a
// generated question and re-checked against the document's text.
func (s *Server) patchQuestion(c echo.Context) error {
	var p questionPatch
	if err := bindJSON(c, &p); err != nil {
		return err
	}
	qid := c.Param("qid")
	return s.editQuiz(c, http.StatusOK, func(q *quizflow.Quiz) (any, error) {
		i := questionIndex(q, qid)
		if i < 0 {
			return nil, quizflow.Errorf(quizflow.ENOTFOUND, "question not found")
		}
		edited := q.Questions[i]
		edited.Options = slices.Clone(edited.Options)
		p.apply(&edited)
		if err := s.checkQuestion(c.Request().Context(), q, &edited); err != nil {
			return nil, err
		}
		q.Questions[i] = edited
		return edited, nil
	})
}

// addQuestion appends a question written by the user.
func (s *Server) addQuestion(c echo.Context) error {
	var nq quizflow.Question
	if err := bindJSON(c, &nq); err != nil {
		return err
	}
	return s.editQuiz(c, http.StatusCreated, func(q *quizflow.Quiz) (any, error) {
		if len(q.Questions) >= maxQuizQuestions {
			return nil, quizflow.Errorf(quizflow.EINVALID, "A quiz holds at most %d questions.", maxQuizQuestions)
		}
		nq.ID = quizflow.NewID("q")
		if err := s.checkQuestion(c.Request().Context(), q, &nq); err != nil {
			return nil, err
		}
		q.Questions = append(q.Questions, nq)
		return nq, nil
	})
}

// deleteQuestion removes one question.
func (s *Server) deleteQuestion(c echo.Context) error {
	qid := c.Param("qid")
	err := s.editQuiz(c, 0, func(q *quizflow.Quiz) (any, error) {
		i := questionIndex(q, qid)
		if i < 0 {
			return nil, quizflow.Errorf(quizflow.ENOTFOUND, "question not found")
		}
		q.Questions = slices.Delete(q.Questions, i, i+1)
		return nil, nil
	})
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// regenerateQuestion starts a job that replaces one question with a new one
// that duplicates none of the others.
func (s *Server) regenerateQuestion(c echo.Context) error {
	ctx := c.Request().Context()
	q, err := s.ownedQuiz(c)
	if err != nil {
		return err
	}
	qid := c.Param("qid")
	if questionIndex(q, qid) < 0 {
		return quizflow.Errorf(quizflow.ENOTFOUND, "question not found")
	}
	job := &quizflow.Job{
		ID: quizflow.NewID("job"), OwnerID: q.OwnerID, Kind: quizflow.JobRegenerate,
		DocumentID: q.DocumentID, QuizID: q.ID, QuestionID: qid, RequestID: requestID(c),
	}
	if err := s.Store.CreateJob(ctx, job); err != nil {
		return err
	}
	task, err := jobs.NewRegenerateTask(jobs.RegeneratePayload{
		JobID: job.ID, QuizID: q.ID, QuestionID: qid, OwnerID: q.OwnerID, RequestID: job.RequestID,
	})
	if err := s.enqueue(ctx, job, task, err); err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]any{"job": job})
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
func (s *Server) checkQuestion(ctx context.Context, quiz *quizflow.Quiz, q *quizflow.Question) error {
	if q.Options == nil {
		q.Options = []quizflow.Option{}
	}
	if q.Answers == nil {
		q.Answers = []string{}
	}
	for i := range q.Options {
		q.Options[i].Text = strings.TrimSpace(q.Options[i].Text)
		if q.Options[i].ID == "" || len(q.Options[i].ID) > 8 {
			q.Options[i].ID = qcheck.OptionID(i)
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

// documentPages reads a document's extracted text.
func (s *Server) documentPages(ctx context.Context, docID, owner string) ([]quizflow.Page, error) {
	doc, err := s.Store.Document(ctx, docID, owner)
	if err != nil {
		return nil, err
	}
	if doc.TextKey == "" {
		return nil, quizflow.Errorf(quizflow.ENOTFOUND, "no text")
	}
	return s.Blobs.GetText(ctx, doc.TextKey)
}

// editQuiz loads the caller's quiz, applies edit and saves it as a new
// version. A concurrent edit is retried on the fresh quiz a few times
// before answering 409. status 0 lets the caller write the response.
func (s *Server) editQuiz(c echo.Context, status int, edit func(*quizflow.Quiz) (any, error)) error {
	var out any
	var err error
	for range 3 {
		var q *quizflow.Quiz
		q, err = s.ownedQuiz(c)
		if err != nil {
			return err
		}
		out, err = edit(q)
		if err != nil {
			return err
		}
		if err = s.Store.UpdateQuiz(c.Request().Context(), q); quizflow.ErrorCode(err) != quizflow.ECONFLICT {
			break
		}
	}
	if err != nil || status == 0 {
		return err
	}
	return c.JSON(status, out)
}

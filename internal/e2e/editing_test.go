package e2e_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/client"
	"github.com/quizflow/quizflow/internal/qcheck"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// quizFor uploads a fixture and returns its finished quiz.
func quizFor(t *testing.T, c *client.Client, file string, fields map[string]string) (*client.Upload, *quizflow.Quiz) {
	t.Helper()
	ctx := context.Background()
	up, err := c.UploadFile(ctx, fixture(t, file), fields)
	if err != nil {
		t.Fatal(err)
	}
	j := waitJob(t, c, up.Job.ID)
	if j.Status != quizflow.StatusSucceeded {
		t.Fatalf("job %s: %+v", j.Status, j.Error)
	}
	q, err := c.Quiz(ctx, j.Result.QuizID)
	if err != nil {
		t.Fatal(err)
	}
	return up, q
}

func TestEditQuiz(t *testing.T) {
	s := setup(t)
	c := s.user("Editor")
	ctx := context.Background()
	_, q := quizFor(t, c, "libreoffice-handbook-10p.pdf", map[string]string{"question_count": "6"})
	path := "/v1/quizzes/" + q.ID

	// Title and order.
	order := []string{}
	for _, qu := range slices.Backward(q.Questions) {
		order = append(order, qu.ID)
	}
	var got quizflow.Quiz
	if err := c.Do(ctx, "PATCH", path, map[string]any{"title": "Unit 1 review", "question_order": order}, &got); err != nil {
		t.Fatal(err)
	}
	if got.Title != "Unit 1 review" || got.Version != q.Version+1 || got.Questions[0].ID != order[0] {
		t.Errorf("after patch: title %q version %d first %s", got.Title, got.Version, got.Questions[0].ID)
	}
	bad := []struct {
		name  string
		path  string
		body  any
		field string
	}{
		{"order missing an id", path, map[string]any{"question_order": order[1:]}, "question_order"},
		{"order with an unknown id", path, map[string]any{"question_order": append(order[1:], "nope")}, "question_order"},
		{"empty title", path, map[string]any{"title": "  "}, "title"},
		{"mc with two correct", path + "/questions/" + q.Questions[0].ID, map[string]any{"type": "multiple_choice", "options": []map[string]any{{"text": "A", "correct": true}, {"text": "B", "correct": true}, {"text": "C"}}}, "options"},
		{"tf with three options", path + "/questions/" + q.Questions[0].ID, map[string]any{"type": "true_false", "options": []map[string]any{{"text": "True", "correct": true}, {"text": "False"}, {"text": "Maybe"}}}, "options"},
		{"blank without marker", path + "/questions/" + q.Questions[0].ID, map[string]any{"type": "fill_in_blank", "prompt": "No gap here", "options": []any{}, "answers": []string{"x"}}, "prompt"},
		{"unknown type", path + "/questions/" + q.Questions[0].ID, map[string]any{"type": "riddle"}, "type"},
		{"bad difficulty", path + "/questions/" + q.Questions[0].ID, map[string]any{"difficulty": "banana"}, "difficulty"},
		{"bad bloom level", path + "/questions/" + q.Questions[0].ID, map[string]any{"bloom_level": "memorise"}, "bloom_level"},
		{"negative points", path + "/questions/" + q.Questions[0].ID, map[string]any{"points": -1}, "points"},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			err := c.Do(ctx, "PATCH", b.path, b.body, nil)
			ae, ok := err.(*client.APIError)
			if !ok || ae.Status != 400 || !strings.HasPrefix(ae.Field, b.field) {
				t.Errorf("got %v (field %q), want 400 naming %s", err, fieldOf(err), b.field)
			}
		})
	}

	// Edit one question into a valid multiple choice grounded in page 1.
	target := got.Questions[0]
	var edited quizflow.Question
	err := c.Do(ctx, "PATCH", path+"/questions/"+target.ID, map[string]any{
		"type": "multiple_choice", "prompt": "What do plants store the energy of sunlight in?",
		"options": []map[string]any{{"text": "Chemical bonds of sugar", "correct": true}, {"text": "Nitrogen gas"}, {"text": "Tectonic plates"}},
		"answers": []string{}, "source": map[string]any{"page": 1, "quote": "store it in the chemical bonds of sugar"},
	}, &edited)
	if err != nil {
		t.Fatal(err)
	}
	if err := qcheck.Validate(edited); err != nil || !edited.Verified || edited.Options[0].ID == "" {
		t.Errorf("edited question %+v: %v", edited, err)
	}
	// A question copying another is refused.
	other := got.Questions[1]
	if err := c.Do(ctx, "POST", path+"/questions", other, nil); client.StatusOf(err) != 400 {
		t.Errorf("adding a duplicate = %v, want 400", err)
	}
	// Add, then delete.
	var added quizflow.Question
	err = c.Do(ctx, "POST", path+"/questions", map[string]any{
		"type": "true_false", "prompt": "Mitochondria are called the powerhouses of the cell.",
		"options": []map[string]any{{"text": "True", "correct": true}, {"text": "False"}},
		"source":  map[string]any{"page": 4, "quote": "which is why they are often called the powerhouses of the cell"},
	}, &added)
	if err != nil {
		t.Fatal(err)
	}
	if !added.Verified || added.ID == "" {
		t.Errorf("added = %+v", added)
	}
	if err := c.Do(ctx, "DELETE", path+"/questions/"+target.ID, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, "DELETE", path+"/questions/"+target.ID, nil, nil); client.StatusOf(err) != 404 {
		t.Errorf("deleting twice = %v, want 404", err)
	}
	final, err := c.Quiz(ctx, q.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(final.Questions) != len(q.Questions) || final.Version != q.Version+4 {
		t.Errorf("final quiz: %d questions (want %d), version %d (want %d)", len(final.Questions), len(q.Questions), final.Version, q.Version+4)
	}
	if final.Questions[len(final.Questions)-1].ID != added.ID {
		t.Error("added question is not last")
	}

	// Deleting the quiz removes it (and its exports) but not its document.
	var ex struct{ Export quizflow.Export }
	if err := c.Do(ctx, "POST", path+"/exports", map[string]any{"format": "csv"}, &ex); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, "DELETE", path, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, "GET", path, nil, nil); client.StatusOf(err) != 404 {
		t.Errorf("quiz after delete: %v, want 404", err)
	}
	if err := c.Do(ctx, "GET", "/v1/exports/"+ex.Export.ID, nil, nil); client.StatusOf(err) != 404 {
		t.Errorf("export of a deleted quiz: %v, want 404", err)
	}
	if err := c.Do(ctx, "GET", "/v1/documents/"+q.DocumentID, nil, nil); err != nil {
		t.Errorf("document after deleting its quiz: %v", err)
	}
}

func fieldOf(err error) string {
	if ae, ok := err.(*client.APIError); ok {
		return ae.Field
	}
	return ""
}

func TestRegenerateQuestion(t *testing.T) {
	s := setup(t)
	c := s.user("Regina")
	ctx := context.Background()
	_, q := quizFor(t, c, "libreoffice-handbook-10p.pdf", map[string]string{"question_count": "5"})
	old := q.Questions[2]
	var resp struct{ Job quizflow.Job }
	if err := c.Do(ctx, "POST", "/v1/quizzes/"+q.ID+"/questions/"+old.ID+"/regenerate", nil, &resp); err != nil {
		t.Fatal(err)
	}
	j := waitJob(t, c, resp.Job.ID)
	if j.Status != quizflow.StatusSucceeded || j.Result.QuestionID == "" || j.Kind != quizflow.JobRegenerate {
		t.Fatalf("regenerate job = %+v %+v", j, j.Error)
	}
	after, err := c.Quiz(ctx, q.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Questions) != len(q.Questions) || after.Questions[2].ID != j.Result.QuestionID {
		t.Fatalf("question 3 is %s, want the new %s", after.Questions[2].ID, j.Result.QuestionID)
	}
	nq := after.Questions[2]
	if nq.Type != old.Type || qcheck.Validate(nq) != nil || !nq.Verified {
		t.Errorf("replacement %+v", nq)
	}
	for i, other := range after.Questions {
		if i != 2 && qcheck.IsDuplicate(other, nq) {
			t.Errorf("replacement duplicates question %s", other.ID)
		}
	}
	if qcheck.IsDuplicate(old, nq) {
		t.Error("replacement duplicates the question it replaced")
	}
	if err := c.Do(ctx, "POST", "/v1/quizzes/"+q.ID+"/questions/nope/regenerate", nil, nil); client.StatusOf(err) != 404 {
		t.Errorf("regenerate unknown question = %v, want 404", err)
	}
}

// TestNewQuizFromDocument makes a second quiz from a stored document with
// JSON options, reuses an identical one at zero tokens, and validates the
// options field by field.
func TestNewQuizFromDocument(t *testing.T) {
	s := setup(t)
	c := s.user("Nora")
	ctx := context.Background()
	up, first := quizFor(t, c, "libreoffice-handbook-10p.pdf", map[string]string{"question_count": "4"})
	newQuiz := func(opts map[string]any) (*quizflow.Job, error) {
		var r struct{ Job quizflow.Job }
		err := c.Do(ctx, "POST", "/v1/documents/"+up.Document.ID+"/quizzes", opts, &r)
		if err != nil {
			return nil, err
		}
		return waitJob(t, c, r.Job.ID), nil
	}
	j, err := newQuiz(map[string]any{"question_count": 7, "question_types": []string{"true_false", "fill_in_blank"}, "difficulty": "hard"})
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != quizflow.StatusSucceeded || j.Result.QuizID == first.ID {
		t.Fatalf("second quiz job = %+v %+v", j, j.Error)
	}
	q2, _ := c.Quiz(ctx, j.Result.QuizID)
	if len(q2.Questions) != 7 {
		t.Errorf("second quiz has %d questions, want 7", len(q2.Questions))
	}
	for _, qu := range q2.Questions {
		if qu.Type != quizflow.TrueFalse && qu.Type != quizflow.FillInBlank {
			t.Errorf("question type %s not requested", qu.Type)
		}
	}
	// The same options again: the finished quiz is reused, no tokens spent.
	again, err := newQuiz(map[string]any{"question_count": 7, "question_types": []string{"fill_in_blank", "true_false"}, "difficulty": "hard"})
	if err != nil {
		t.Fatal(err)
	}
	if again.Result.QuizID != q2.ID || again.Usage == nil || !again.Usage.Cached || again.Usage.PromptTokens != 0 {
		t.Errorf("identical request: quiz %s usage %+v, want reuse of %s", again.Result.QuizID, again.Usage, q2.ID)
	}
	fresh, err := newQuiz(map[string]any{"question_count": 7, "question_types": []string{"fill_in_blank", "true_false"}, "difficulty": "hard", "fresh": true})
	if err != nil {
		t.Fatal(err)
	}
	if fresh.Result.QuizID == q2.ID {
		t.Error("fresh request reused the cached quiz")
	}
	for _, b := range []struct {
		opts  map[string]any
		field string
	}{
		{map[string]any{"question_count": 0}, "question_count"},
		{map[string]any{"question_count": 101}, "question_count"},
		{map[string]any{"question_types": []string{"riddle"}}, "question_types"},
		{map[string]any{"difficulty": "brutal"}, "difficulty"},
		{map[string]any{"bloom_levels": []string{"memorise"}}, "bloom_levels"},
		{map[string]any{"language": "xx"}, "language"},
		{map[string]any{"instructions": strings.Repeat("a", 501)}, "instructions"},
		// No model is configured: the offline generator cannot write these.
		{map[string]any{"question_types": []string{"matching", "essay"}}, "question_types"},
	} {
		_, err := newQuiz(b.opts)
		if client.StatusOf(err) != 400 || fieldOf(err) != b.field {
			t.Errorf("options %v = %v, want 400 naming %s", b.opts, err, b.field)
		}
	}
}

// TestEditPrecondition: the quiz's version is its ETag; an edit sent with
// If-Match applies to that version only, so two editors cannot overwrite
// each other unseen.
func TestEditPrecondition(t *testing.T) {
	s := setup(t)
	c := s.user("Careful")
	_, q := quizFor(t, c, "lesson.md", nil)
	path := s.url + "/v1/quizzes/" + q.ID
	code, _, h := raw(t, "GET", path, c.Token, nil, nil)
	etag := h.Get("ETag")
	if code != 200 || etag != `"`+strconv.Itoa(q.Version)+`"` {
		t.Fatalf("GET quiz = %d, ETag %q, want the version %d", code, etag, q.Version)
	}
	qpath := path + "/questions/" + q.Questions[0].ID
	edit := func(ifMatch, prompt string) (int, string) {
		hdr := map[string]string{"Content-Type": "application/json"}
		if ifMatch != "" {
			hdr["If-Match"] = ifMatch
		}
		code, body, _ := raw(t, "PATCH", qpath, c.Token, strings.NewReader(`{"prompt":"`+prompt+`"}`), hdr)
		return code, body
	}
	if code, body := edit(etag, "First editor's prompt?"); code != 200 {
		t.Fatalf("edit with the current ETag = %d %s", code, body)
	}
	// The second editor still holds the old ETag: refused, nothing overwritten.
	code, body := edit(etag, "Second editor's prompt?")
	if code != 409 || !strings.Contains(body, `"field":"If-Match"`) || !strings.Contains(body, "version") {
		t.Errorf("edit with a stale ETag = %d %s, want 409 naming the versions", code, body)
	}
	var now quizflow.Quiz
	if err := c.Do(context.Background(), "GET", "/v1/quizzes/"+q.ID, nil, &now); err != nil {
		t.Fatal(err)
	}
	if now.Questions[0].Prompt != "First editor's prompt?" || now.Version != q.Version+1 {
		t.Errorf("after the refused edit: prompt %q version %d, want the first editor's at version %d", now.Questions[0].Prompt, now.Version, q.Version+1)
	}
	if code, body := edit(`W/"`+strconv.Itoa(now.Version)+`"`, "Third?"); code != 200 {
		t.Errorf("edit with the new weak ETag = %d %s", code, body)
	}
	if code, body := edit("", "No precondition?"); code != 200 {
		t.Errorf("edit without If-Match (applies to the latest) = %d %s", code, body)
	}
	if code, body := edit("yesterday", "Bad?"); code != 400 || !strings.Contains(body, `"field":"If-Match"`) {
		t.Errorf("edit with a malformed If-Match = %d %s, want 400", code, body)
	}
}

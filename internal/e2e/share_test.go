package e2e_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/quizflow/quizflow/internal/quizflow"
)

func decode(t *testing.T, body string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("decode %.300s: %v", body, err)
	}
}

// rightAnswers are answers scoring full marks on every question but
// essays, built from the owner's view of the quiz; text answers are
// shouted and padded, which normalisation must forgive.
func rightAnswers(q *quizflow.Quiz) (map[string]any, float64) {
	out, want := map[string]any{}, 0.0
	for _, qu := range q.Questions {
		pts := qu.Points
		if pts == 0 {
			pts = 1
		}
		switch qu.Type {
		case quizflow.MultipleChoice, quizflow.TrueFalse:
			for _, o := range qu.Options {
				if o.Correct {
					out[qu.ID] = o.ID
				}
			}
		case quizflow.MultipleAnswer:
			ids := []string{}
			for _, o := range qu.Options {
				if o.Correct {
					ids = append(ids, o.ID)
				}
			}
			out[qu.ID] = ids
		case quizflow.Matching:
			rs := []string{}
			for _, p := range qu.Pairs {
				rs = append(rs, p.Right)
			}
			out[qu.ID] = rs
		case quizflow.ShortAnswer, quizflow.FillInBlank:
			out[qu.ID] = "  " + strings.ToUpper(qu.Answers[0]) + " "
		case quizflow.Essay:
			out[qu.ID] = "An essay."
			continue
		}
		want += pts
	}
	return out, want
}

type attemptAnswer struct {
	quizflow.Attempt
	Results []map[string]any `json:"results"`
}

// TestShareLinks: a quiz shared, taken without an account, scored on the
// server, listed for its owner, revoked and deleted, through the real
// server and store.
func TestShareLinks(t *testing.T) {
	t.Parallel()
	s := setup(t, withPublicURL)
	ctx := context.Background()
	owner, other := s.user("Teacher"), s.user("Other")
	up, q := quizFor(t, owner, "libreoffice-handbook-10p.pdf", map[string]string{"question_count": "5"})
	base := s.url + "/v1/quizzes/" + q.ID
	tok := owner.Token

	// Owner: create (201), again (200, same), read.
	code, body, _ := raw(t, "POST", base+"/share", tok, nil, nil)
	var sh quizflow.Share
	decode(t, body, &sh)
	if code != 201 || len(sh.Token) < 22 || sh.URL != publicURL+"/s/"+sh.Token || sh.QuizID != q.ID {
		t.Fatalf("create share = %d %s", code, body)
	}
	code, body, _ = raw(t, "POST", base+"/share", tok, nil, nil)
	if code != 200 || !strings.Contains(body, sh.Token) {
		t.Errorf("share again = %d %s, want 200 with the same token", code, body)
	}
	if code, body, _ := raw(t, "GET", base+"/share", tok, nil, nil); code != 200 || !strings.Contains(body, sh.Token) {
		t.Errorf("get share = %d %s", code, body)
	}
	if code, _, _ := raw(t, "POST", base+"/share", other.Token, nil, nil); code != 404 {
		t.Errorf("another user shares the quiz = %d, want 404", code)
	}

	// Anyone: the quiz without anything that gives an answer away.
	code, body, _ = raw(t, "GET", s.url+"/v1/shared/"+sh.Token, "", nil, nil)
	if code != 200 {
		t.Fatalf("shared quiz = %d %s", code, body)
	}
	var pub map[string]any
	decode(t, body, &pub)
	checkNoAnswerKeys(t, pub)
	if qs, _ := pub["questions"].([]any); len(qs) != len(q.Questions) {
		t.Errorf("shared quiz has %d questions, want %d", len(qs), len(q.Questions))
	}

	// Anyone: submit, scored by the server; a retry with the same key is
	// the same attempt.
	answers, want := rightAnswers(q)
	submit := func(body any, key string) (int, string) {
		h := map[string]string{"Content-Type": "application/json"}
		if key != "" {
			h["Idempotency-Key"] = key
		}
		code, b, _ := raw(t, "POST", s.url+"/v1/shared/"+sh.Token+"/attempts", "", strings.NewReader(mustJSON(t, body)), h)
		return code, b
	}
	code, body = submit(map[string]any{"name": "Student One", "answers": answers}, "try-1")
	var a1 attemptAnswer
	decode(t, body, &a1)
	if code != 201 || a1.ID == "" || a1.Score.Score != want || a1.Name != "Student One" || len(a1.Results) != len(q.Questions) {
		t.Fatalf("right answers = %d, score %v want %v: %s", code, a1.Score.Score, want, body)
	}
	types := map[string]int{}
	for _, qu := range q.Questions {
		types[qu.Type]++
	}
	t.Logf("quiz of %d questions %v: right answers scored %v of %v", len(q.Questions), types, a1.Score.Score, a1.MaxScore)
	for _, r := range a1.Results {
		if _, ok := r["correct_answer"]; !ok || r["status"] == nil {
			t.Errorf("result without correct_answer or status: %v", r)
		}
	}
	code, body = submit(map[string]any{"name": "Student One", "answers": answers}, "try-1")
	var again attemptAnswer
	decode(t, body, &again)
	if code != 200 || again.ID != a1.ID {
		t.Errorf("retried submission = %d id %s, want 200 and %s", code, again.ID, a1.ID)
	}
	code, body = submit(map[string]any{"answers": map[string]any{}}, "")
	var a2 attemptAnswer
	decode(t, body, &a2)
	if code != 201 || a2.Score.Score != 0 || a2.ID == a1.ID {
		t.Errorf("empty attempt = %d %s", code, body)
	}
	for name, bad := range map[string]map[string]any{
		"unknown question": {"answers": map[string]any{"nope": "a"}},
		"wrong shape":      {"answers": map[string]any{q.Questions[0].ID: map[string]any{"x": 1}}},
		"name too long":    {"name": strings.Repeat("n", 101), "answers": map[string]any{}},
	} {
		if code, body := submit(bad, ""); code != 400 || !strings.Contains(body, `"field":`) {
			t.Errorf("%s: %d %s, want 400 naming the field", name, code, body)
		}
	}

	// The owner: the attempts, newest first, paginated; a preview scores
	// without recording.
	code, body, _ = raw(t, "GET", base+"/attempts?limit=1", tok, nil, nil)
	var page struct {
		Attempts []attemptAnswer `json:"attempts"`
		Next     string          `json:"next_cursor"`
	}
	decode(t, body, &page)
	if code != 200 || len(page.Attempts) != 1 || page.Attempts[0].ID != a2.ID || page.Next == "" {
		t.Fatalf("attempts page 1 = %d %s", code, body)
	}
	code, body, _ = raw(t, "GET", base+"/attempts?limit=1&cursor="+page.Next, tok, nil, nil)
	decode(t, body, &page)
	if code != 200 || len(page.Attempts) != 1 || page.Attempts[0].ID != a1.ID || len(page.Attempts[0].Results) != len(q.Questions) || page.Next != "" {
		t.Errorf("attempts page 2 = %d %s", code, body)
	}
	if code, _, _ := raw(t, "GET", base+"/attempts", other.Token, nil, nil); code != 404 {
		t.Errorf("another user's attempts = %d, want 404", code)
	}
	code, body, _ = raw(t, "POST", base+"/score", tok, strings.NewReader(mustJSON(t, map[string]any{"answers": answers})), jsonHeader)
	var preview quizflow.Score
	decode(t, body, &preview)
	if code != 200 || preview.Score != want {
		t.Errorf("preview = %d %s", code, body)
	}
	if n := countAttempts(t, s, q.ID); n != 2 {
		t.Errorf("%d attempts stored, want 2 (the retry and the preview record nothing)", n)
	}

	// The document's page a question cites, and the upload limits.
	if p := q.Questions[0].Source.Page; p > 0 {
		code, body, _ = raw(t, "GET", s.url+"/v1/documents/"+up.Document.ID+"/text?page="+strconv.Itoa(p), tok, nil, nil)
		var text quizflow.DocumentText
		decode(t, body, &text)
		if code != 200 || len(text.Pages) != 1 || text.Pages[0].Number != p {
			t.Errorf("page %d of the text = %d %.200s", p, code, body)
		}
	}
	code, body, _ = raw(t, "GET", s.url+"/v1/limits", tok, nil, nil)
	var lim quizflow.UploadLimits
	decode(t, body, &lim)
	if code != 200 || lim.MaxFileSize != testMaxFileSize || lim.Plan != quizflow.PlanFree || len(lim.AcceptedTypes) != 4 {
		t.Errorf("limits = %d %s", code, body)
	}

	// Revoke: the token is gone everywhere; a new share has a new token.
	if code, _, _ := raw(t, "DELETE", base+"/share", tok, nil, nil); code != 204 {
		t.Errorf("revoke = %d", code)
	}
	for _, r := range []struct{ method, path string }{{"GET", "/v1/shared/" + sh.Token}, {"POST", "/v1/shared/" + sh.Token + "/attempts"}} {
		if code, _, _ := raw(t, r.method, s.url+r.path, "", strings.NewReader(`{"answers":{}}`), jsonHeader); code != 404 {
			t.Errorf("%s %s after revoking = %d, want 404", r.method, r.path, code)
		}
	}
	if code, _, _ := raw(t, "GET", base+"/share", tok, nil, nil); code != 404 {
		t.Errorf("get share after revoking = %d, want 404", code)
	}
	code, body, _ = raw(t, "POST", base+"/share", tok, nil, nil)
	var sh2 quizflow.Share
	decode(t, body, &sh2)
	if code != 201 || sh2.Token == sh.Token {
		t.Errorf("share after revoking = %d %s", code, body)
	}

	// Deleting the quiz deletes its share and attempts.
	if err := owner.Do(ctx, "DELETE", "/v1/quizzes/"+q.ID, nil, nil); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := raw(t, "GET", s.url+"/v1/shared/"+sh2.Token, "", nil, nil); code != 404 {
		t.Errorf("shared quiz after deleting the quiz = %d", code)
	}
	db := s.app.Store.Database()
	for col, filter := range map[string]bson.M{"attempts": {"quiz_id": q.ID}, "shares": {"_id": sh2.Token}, "quiz_shares": {"_id": q.ID}} {
		if n, err := db.Collection(col).CountDocuments(ctx, filter); err != nil || n != 0 {
			t.Errorf("%s left after deleting the quiz: %d %v", col, n, err)
		}
	}
}

// checkNoAnswerKeys fails on any key of a shared quiz that could carry an
// answer.
func checkNoAnswerKeys(t *testing.T, v any) {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			switch k {
			case "correct", "answers", "pairs", "explanation", "source", "feedback", "verified":
				t.Errorf("shared quiz carries %q", k)
			}
			checkNoAnswerKeys(t, e)
		}
	case []any:
		for _, e := range x {
			checkNoAnswerKeys(t, e)
		}
	}
}

func countAttempts(t *testing.T, s *stack, quizID string) int64 {
	t.Helper()
	n, err := s.app.Store.Database().Collection("attempts").CountDocuments(context.Background(), bson.M{"quiz_id": quizID})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSharedRoutesRateLimit: the public routes answer 429 with
// Retry-After past the per-IP limit, even with the API-wide limit off.
func TestSharedRoutesRateLimit(t *testing.T) {
	t.Parallel()
	s := setup(t)
	for i := range 200 {
		code, body, h := raw(t, "GET", s.url+"/v1/shared/no-such-token", "", nil, nil)
		if code == 429 {
			if h.Get("Retry-After") == "" || !strings.Contains(body, `"code":"rate_limited"`) {
				t.Errorf("429 without Retry-After or its code: %s", body)
			}
			if i < 100 {
				t.Errorf("limited after %d requests; the limit is 120 a minute", i)
			}
			return
		}
		if code != 404 {
			t.Fatalf("request %d = %d %s", i, code, body)
		}
	}
	t.Error("200 requests a minute to /v1/shared/... were never limited")
}

// TestSharedScoringEveryType: a question of every type, added by the
// owner, taken through a share link: partial credit for multiple answer
// and matching, normalised text, essays pending review; the shared view
// shuffles the matching items and the owner's listing keeps every result.
func TestSharedScoringEveryType(t *testing.T) {
	t.Parallel()
	s := setup(t, withPublicURL)
	ctx := context.Background()
	owner := s.user("Grader")
	_, q := quizFor(t, owner, "libreoffice-handbook-10p.pdf", map[string]string{"question_count": "3"})
	add := []map[string]any{
		{"type": "multiple_answer", "prompt": "Which of these are primary colours of light?", "points": 3, "options": []map[string]any{
			{"text": "Red", "correct": true}, {"text": "Green", "correct": true}, {"text": "Blue", "correct": true}, {"text": "Brown"}}},
		{"type": "matching", "prompt": "Match each country to its capital.", "points": 4, "pairs": []map[string]string{
			{"left": "France", "right": "Paris"}, {"left": "Italy", "right": "Rome"}, {"left": "Spain", "right": "Madrid"}, {"left": "Peru", "right": "Lima"}}},
		{"type": "short_answer", "prompt": "Which organelle makes most of a cell's ATP?", "answers": []string{"Mitochondrion", "mitochondria"}},
		{"type": "essay", "prompt": "Discuss the causes of the French Revolution.", "answers": []string{"Debt, bread prices, Enlightenment ideas."}},
	}
	ids := map[string]quizflow.Question{}
	for _, body := range add {
		var qu quizflow.Question
		if err := owner.Do(ctx, "POST", "/v1/quizzes/"+q.ID+"/questions", body, &qu); err != nil {
			t.Fatalf("add %s: %v", body["type"], err)
		}
		ids[qu.Type] = qu
	}
	var sh quizflow.Share
	if err := owner.Do(ctx, "POST", "/v1/quizzes/"+q.ID+"/share", nil, &sh); err != nil {
		t.Fatal(err)
	}

	code, body, _ := raw(t, "GET", s.url+"/v1/shared/"+sh.Token, "", nil, nil)
	var pub quizflow.SharedQuiz
	decode(t, body, &pub)
	if code != 200 {
		t.Fatalf("shared = %d %s", code, body)
	}
	for _, sq := range pub.Questions {
		if sq.Type == quizflow.Matching {
			if strings.Join(sq.Left, ",") != "France,Italy,Spain,Peru" || strings.Join(sq.Right, ",") == "Paris,Rome,Madrid,Lima" || len(sq.Right) != 4 {
				t.Errorf("matching as shared: left %v right %v (want the left in order, the right shuffled)", sq.Left, sq.Right)
			}
		}
		if sq.Type == quizflow.MultipleAnswer && (sq.Points != 3 || len(sq.Options) != 4) {
			t.Errorf("multiple answer as shared: %+v", sq)
		}
	}

	ma, m, sa, es := ids[quizflow.MultipleAnswer], ids[quizflow.Matching], ids[quizflow.ShortAnswer], ids[quizflow.Essay]
	var right, wrong []string
	for _, o := range ma.Options {
		if o.Correct {
			right = append(right, o.ID)
		} else {
			wrong = append(wrong, o.ID)
		}
	}
	picked := []string{right[0], right[1], wrong[0]} // two right, one wrong
	answers := map[string]any{
		ma.ID: picked,
		m.ID:  []any{"Paris", "Madrid", "Rome", nil}, // one pair of four right
		sa.ID: "  MITOCHONDRION\t",
		es.ID: "Many causes.",
	}
	code, body, _ = raw(t, "POST", s.url+"/v1/shared/"+sh.Token+"/attempts", "",
		strings.NewReader(mustJSON(t, map[string]any{"name": "Bea", "answers": answers})), jsonHeader)
	var a quizflow.Attempt
	decode(t, body, &a)
	if code != 201 {
		t.Fatalf("attempt = %d %s", code, body)
	}
	byID := map[string]quizflow.QuestionResult{}
	for _, r := range a.Results {
		byID[r.QuestionID] = r
	}
	for _, c := range []struct {
		name          string
		r             quizflow.QuestionResult
		score, max    float64
		correct       bool
		status        string
		correctAnswer string
	}{
		{"multiple answer (2-1)/3 of 3 points", byID[ma.ID], 1, 3, false, "graded", mustJSON(t, right)},
		{"matching 1/4 of 4 points", byID[m.ID], 1, 4, false, "graded", `["Paris","Rome","Madrid","Lima"]`},
		{"short answer normalised", byID[sa.ID], 1, 1, true, "graded", `["Mitochondrion","mitochondria"]`},
		{"essay pending review", byID[es.ID], 0, 1, false, "pending_review", `["Debt, bread prices, Enlightenment ideas."]`},
	} {
		if c.r.Score != c.score || c.r.MaxScore != c.max || c.r.Correct != c.correct || c.r.Status != c.status || mustJSON(t, c.r.CorrectAnswer) != c.correctAnswer {
			t.Errorf("%s: %+v", c.name, c.r)
		}
	}
	if a.PendingReview != 1 {
		t.Errorf("pending_review = %d, want 1", a.PendingReview)
	}

	// The owner sees the same results, answers in their shapes.
	var list struct {
		Attempts []quizflow.Attempt `json:"attempts"`
	}
	if err := owner.Do(ctx, "GET", "/v1/quizzes/"+q.ID+"/attempts", nil, &list); err != nil || len(list.Attempts) != 1 {
		t.Fatalf("attempts: %+v %v", list, err)
	}
	got := list.Attempts[0]
	if got.Score.Score != a.Score.Score || got.Name != "Bea" || mustJSON(t, got.Results) != mustJSON(t, a.Results) {
		t.Errorf("listed attempt differs from the answer:\n%s\n%s", mustJSON(t, got), mustJSON(t, a))
	}

	// The owner grades the essay; only essays, within their points.
	grade := base(s, q.ID) + "/attempts/" + a.ID
	for name, c := range map[string]struct {
		who, body string
		status    int
	}{
		"a multiple answer question": {owner.Token, `{"grades":{"` + ma.ID + `":1}}`, 400},
		"over the points":            {owner.Token, `{"grades":{"` + es.ID + `":2}}`, 400},
		"negative":                   {owner.Token, `{"grades":{"` + es.ID + `":-1}}`, 400},
		"another user":               {s.user("Stranger").Token, `{"grades":{"` + es.ID + `":1}}`, 404},
	} {
		if code, body, _ := raw(t, "PATCH", grade, c.who, strings.NewReader(c.body), jsonHeader); code != c.status {
			t.Errorf("grade %s = %d %s, want %d", name, code, body, c.status)
		}
	}
	code, body, _ = raw(t, "PATCH", grade, owner.Token, strings.NewReader(`{"grades":{"`+es.ID+`":1}}`), jsonHeader)
	var graded quizflow.Attempt
	decode(t, body, &graded)
	if code != 200 || graded.Score.Score != a.Score.Score+1 || graded.PendingReview != 0 {
		t.Fatalf("grade the essay = %d %s", code, body)
	}
	if err := owner.Do(ctx, "GET", "/v1/quizzes/"+q.ID+"/attempts", nil, &list); err != nil || list.Attempts[0].Score.Score != graded.Score.Score {
		t.Errorf("the grade is not stored: %+v %v", list, err)
	}
	for _, r := range list.Attempts[0].Results {
		if r.QuestionID == es.ID && (r.Status != quizflow.ResultGraded || !r.Correct || r.Score != 1) {
			t.Errorf("graded essay result: %+v", r)
		}
	}
}

func base(s *stack, quizID string) string { return s.url + "/v1/quizzes/" + quizID }

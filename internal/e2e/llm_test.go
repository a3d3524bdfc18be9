package e2e_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/fakeopenai"
	"github.com/quizflow/quizflow/internal/qcheck"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/jobs"
)

// withModel points the stack at a fake OpenAI-compatible server.
func withModel(f *fakeopenai.Server) func(*setupOptions) {
	return func(o *setupOptions) {
		o.env["OPENAI_API_KEY"] = "sk-test"
		o.env["OPENAI_BASE_URL"] = f.URL
		o.env["OPENAI_MODEL"] = "gpt-4o-mini"
	}
}

// TestModelPipeline drives upload -> extract -> generate through the API and
// a worker against a fake OpenAI server that misbehaves, and checks the
// guarantees hold in the stored quiz, cost is recorded, and an identical
// second upload reuses the quiz at zero tokens.
func TestModelPipeline(t *testing.T) {
	fake := fakeopenai.New()
	defer fake.Close()
	s := setup(t, withModel(fake))
	c := s.user("Lena")
	ctx := context.Background()

	// Broken JSON, then a 429 with Retry-After, then the key always at B
	// with some invented quotes and wrong keys: the quiz must still be valid.
	fake.SetScript(func(call *fakeopenai.Call) fakeopenai.Action {
		if call.Kind == fakeopenai.KindAnswers {
			return fakeopenai.Action{}
		}
		switch call.KindN {
		case 1:
			return fakeopenai.Action{Do: fakeopenai.InvalidJSON}
		case 2:
			return fakeopenai.Action{Do: fakeopenai.RateLimited, RetryAfter: "1"}
		case 3, 5:
			return fakeopenai.Action{Do: fakeopenai.BadQuotes, Some: true}
		case 4:
			return fakeopenai.Action{Do: fakeopenai.WrongKeys, Some: true}
		}
		return fakeopenai.Action{Do: fakeopenai.KeyAtB}
	})
	start := time.Now()
	up, err := c.UploadFile(ctx, fixture(t, "libreoffice-handbook-10p.pdf"), map[string]string{"question_count": "12", "question_types": "multiple_choice"})
	if err != nil {
		t.Fatal(err)
	}
	job := waitJob(t, c, up.Job.ID)
	if job.Status != quizflow.StatusSucceeded {
		t.Fatalf("job %s: %+v", job.Status, job.Error)
	}
	if time.Since(start) < time.Second {
		t.Errorf("finished in %v: the 429's Retry-After of 1s was not honoured", time.Since(start))
	}
	q, err := c.Quiz(ctx, job.Result.QuizID)
	if err != nil {
		t.Fatal(err)
	}
	var text struct{ Pages []quizflow.Page }
	if err := c.Do(ctx, "GET", "/v1/documents/"+up.Document.ID+"/text", nil, &text); err != nil {
		t.Fatal(err)
	}
	if len(q.Questions) != 12 {
		t.Errorf("%d questions, want exactly 12 (warnings %v)", len(q.Questions), q.Warnings)
	}
	pages := map[int]bool{}
	for _, qu := range q.Questions {
		if err := qcheck.Validate(qu); err != nil || !qcheck.Grounded(qu, text.Pages) || !qu.Verified {
			t.Errorf("question %s: valid=%v grounded=%v verified=%v", qu.ID, err, qcheck.Grounded(qu, text.Pages), qu.Verified)
		}
		pages[qu.Source.Page] = true
	}
	if len(pages) < 5 {
		t.Errorf("questions cite only pages %v of a 10-page document", pages)
	}
	counts := qcheck.PositionCounts(q.Questions)
	for pos, n := range counts {
		if n > 12/len(counts)+1 {
			t.Errorf("correct answer at position %d in %d of 12 questions: %v", pos, n, counts)
		}
	}
	for _, u := range []*quizflow.Usage{job.Usage, &q.Usage} {
		if u == nil || u.Model != "gpt-4o-mini" || u.Calls < 3 || u.PromptTokens == 0 || u.CompletionTokens == 0 || u.CostUSD <= 0 {
			t.Errorf("usage not recorded: %+v", u)
		}
	}

	// The same document and options again: zero tokens, no model call.
	calls := fake.Count("")
	up2, err := c.UploadFile(ctx, fixture(t, "libreoffice-handbook-10p.pdf"), map[string]string{"question_types": "multiple_choice", "question_count": "12"})
	if err != nil {
		t.Fatal(err)
	}
	job2 := waitJob(t, c, up2.Job.ID)
	if job2.Usage == nil || !job2.Usage.Cached || job2.Usage.PromptTokens+job2.Usage.CompletionTokens != 0 || fake.Count("") != calls {
		t.Errorf("second upload: usage %+v, model calls %d -> %d; want reuse at zero tokens", job2.Usage, calls, fake.Count(""))
	}
	// The second document gets its own copy of the questions, so deleting
	// the first document leaves it whole.
	q2, err := c.Quiz(ctx, job2.Result.QuizID)
	if err != nil {
		t.Fatal(err)
	}
	if q2.ID == q.ID || q2.DocumentID != up2.Document.ID || len(q2.Questions) != len(q.Questions) || q2.Questions[0].Prompt != q.Questions[0].Prompt || !q2.Usage.Cached {
		t.Errorf("second upload's quiz %s (doc %s, %d questions, usage %+v) is not a copy of %s for doc %s", q2.ID, q2.DocumentID, len(q2.Questions), q2.Usage, q.ID, up2.Document.ID)
	}
	if err := c.Do(ctx, "DELETE", "/v1/documents/"+up.Document.ID, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Quiz(ctx, q2.ID); err != nil {
		t.Errorf("the copy went with the first document: %v", err)
	}
	// Another user's identical upload is not served from this user's cache.
	other := s.user("Otto")
	up3, err := other.UploadFile(ctx, fixture(t, "libreoffice-handbook-10p.pdf"), map[string]string{"question_types": "multiple_choice", "question_count": "12"})
	if err != nil {
		t.Fatal(err)
	}
	if j := waitJob(t, other, up3.Job.ID); j.Result.QuizID == q.ID || fake.Count("") == calls {
		t.Errorf("another user's upload reused the quiz (%s) or made no calls", j.Result.QuizID)
	}
}

// TestModelFailsClearly: a model that never returns usable output is a
// transient fault (the next attempt may do better): the queue retries it,
// and after the last retry the job fails with a message saying what was
// tried, never "running" for ever.
func TestModelFailsClearly(t *testing.T) {
	t.Parallel() // waits through the queue's backoff
	fake := fakeopenai.New()
	defer fake.Close()
	s := setup(t, withModel(fake))
	c := s.user("Finn")
	fake.SetScript(fakeopenai.Always(fakeopenai.KindQuestions, fakeopenai.Action{Do: fakeopenai.InvalidJSON}))
	up, err := c.UploadFile(context.Background(), fixture(t, "lesson.md"), map[string]string{"question_count": "3"})
	if err != nil {
		t.Fatal(err)
	}
	job := waitJob(t, c, up.Job.ID)
	if job.Status != quizflow.StatusFailed || job.Error == nil || job.Error.Code != quizflow.EGENERATION || !strings.Contains(job.Error.Message, "could not be used") {
		t.Fatalf("job = %s %+v, want failed with %s saying the output could not be used", job.Status, job.Error, quizflow.EGENERATION)
	}
	if n := fake.Count(fakeopenai.KindQuestions); n < jobs.MaxRetry+1 {
		t.Errorf("%d model calls, want at least one per attempt (%d): malformed output is retried until the last attempt", n, jobs.MaxRetry+1)
	}
}

// fiftyPageDOCX builds a Word document of 50 pages (explicit page breaks)
// of distinct prose.
func fiftyPageDOCX(tb testing.TB) []byte {
	tb.Helper()
	rng := rand.New(rand.NewPCG(7, 11))
	subjects := []string{"glacier", "volcano", "estuary", "rainforest", "desert", "coral reef", "tundra", "wetland", "savanna", "river delta", "mountain range", "grassland"}
	verbs := []string{"shapes", "feeds", "cools", "shelters", "erodes", "protects", "enriches", "drains"}
	objects := []string{"the nearby valleys", "migrating birds", "the coastal towns", "ancient forests", "the local farms", "endangered species", "the river basin", "the soil"}
	var body strings.Builder
	for p := 1; p <= 50; p++ {
		for sIdx := range 14 {
			sub := subjects[rng.IntN(len(subjects))]
			fmt.Fprintf(&body, `<w:p><w:r><w:t xml:space="preserve">In survey %d of region %s-%d, the %s %s %s by about %d percent each year, as measured at station %d.</w:t></w:r></w:p>`,
				p*100+sIdx, strings.ToUpper(sub[:1]), p, sub, verbs[rng.IntN(len(verbs))], objects[rng.IntN(len(objects))], 3+rng.IntN(90), rng.IntN(9000))
		}
		if p < 50 {
			body.WriteString(`<w:p><w:r><w:br w:type="page"/></w:r></w:p>`)
		}
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range map[string]string{
		"[Content_Types].xml": `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`,
		"word/document.xml":   `<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` + body.String() + `</w:body></w:document>`,
	} {
		w, err := zw.Create(name)
		if err != nil {
			tb.Fatal(err)
		}
		w.Write([]byte(content))
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkQuiz50Pages reports, for a 50-page document through the API, a
// worker and the fake OpenAI server: model calls, prompt tokens per
// generated question, wall time per quiz, and the token count of a second
// identical upload (the content-hash cache makes it 0). Store: embedded
// FerretDB (SQLite); Redis: redis-server.
func BenchmarkQuiz50Pages(b *testing.B) {
	fake := fakeopenai.New()
	defer fake.Close()
	s := setup(b, withModel(fake))
	doc := fiftyPageDOCX(b)
	ctx := context.Background()
	const questions = 20
	var calls, promptTokens, secondTokens, generated int
	var wall time.Duration
	b.ResetTimer()
	for i := range b.N {
		c := s.user(fmt.Sprintf("bench%d", i))
		start := time.Now()
		before := fake.Count("")
		up, err := c.UploadReader(ctx, "field-guide.docx", bytes.NewReader(doc), map[string]string{"question_count": fmt.Sprint(questions)})
		if err != nil {
			b.Fatal(err)
		}
		j := waitJob(b, c, up.Job.ID)
		wall += time.Since(start)
		if j.Status != quizflow.StatusSucceeded || j.Usage == nil {
			b.Fatalf("job %s %+v", j.Status, j.Error)
		}
		q, err := c.Quiz(ctx, j.Result.QuizID)
		if err != nil {
			b.Fatal(err)
		}
		calls += fake.Count("") - before
		promptTokens += j.Usage.PromptTokens
		generated += len(q.Questions)
		up2, err := c.UploadReader(ctx, "field-guide-copy.docx", bytes.NewReader(doc), map[string]string{"question_count": fmt.Sprint(questions)})
		if err != nil {
			b.Fatal(err)
		}
		j2 := waitJob(b, c, up2.Job.ID)
		if j2.Usage == nil || !j2.Usage.Cached {
			b.Fatalf("second upload did not reuse the quiz: %+v", j2)
		}
		secondTokens += j2.Usage.PromptTokens + j2.Usage.CompletionTokens
	}
	b.StopTimer()
	b.ReportMetric(float64(calls)/float64(b.N), "model-calls/quiz")
	b.ReportMetric(float64(promptTokens)/float64(generated), "prompt-tokens/question")
	b.ReportMetric(float64(wall.Milliseconds())/float64(b.N), "ms/quiz")
	b.ReportMetric(float64(secondTokens)/float64(b.N), "second-upload-tokens")
	b.ReportMetric(float64(generated)/float64(b.N), "questions/quiz")
}

// TestAzureOpenAI: OPENAI_API_TYPE=azure speaks Azure's shape (deployment
// in the path, api-version query, api-key header) to the same fake.
func TestAzureOpenAI(t *testing.T) {
	fake := fakeopenai.New()
	defer fake.Close()
	s := setup(t, func(o *setupOptions) {
		o.env["OPENAI_API_TYPE"] = "azure"
		o.env["OPENAI_API_KEY"] = "azure-key"
		o.env["OPENAI_BASE_URL"] = strings.TrimSuffix(fake.URL, "/v1") + "/"
		o.env["OPENAI_MODEL"] = "quiz-deployment"
	})
	c := s.user("Azure")
	up, err := c.UploadFile(context.Background(), fixture(t, "lesson.md"), map[string]string{"question_count": "3"})
	if err != nil {
		t.Fatal(err)
	}
	if j := waitJob(t, c, up.Job.ID); j.Status != quizflow.StatusSucceeded {
		t.Fatalf("job %s %+v", j.Status, j.Error)
	}
	calls := fake.Calls("")
	if len(calls) == 0 {
		t.Fatal("no calls reached the fake")
	}
	for _, call := range calls {
		if !strings.HasPrefix(call.URL, "/openai/deployments/quiz-deployment/chat/completions?api-version=") || call.Header.Get("api-key") != "azure-key" {
			t.Errorf("call %s with api-key %q is not Azure-shaped", call.URL, call.Header.Get("api-key"))
		}
	}
}

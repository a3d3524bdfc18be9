package generate_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/fakeopenai"
	"github.com/quizflow/quizflow/internal/generate"
	"github.com/quizflow/quizflow/internal/llm"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// Each test scripts one way a model or API misbehaves and asserts which
// outcome the pipeline reaches: a valid quiz, or an explicit error.

func TestInvalidJSONOnceIsReasked(t *testing.T) {
	b := setup(t, fakeopenai.Sequence(fakeopenai.Action{Do: fakeopenai.InvalidJSON}), setupOpts{})
	pages := document(3, 8, 3)
	res, err := generate1(t, b, generate.Request{Pages: pages, Options: mcOptions(5)})
	if err != nil {
		t.Fatal(err)
	}
	assertQuiz(t, res, pages, 5)
	calls := b.fake.Calls(fakeopenai.KindQuestions)
	if len(calls) != 2 {
		t.Fatalf("%d calls, want 2 (one re-ask)", len(calls))
	}
	msgs := calls[1].Request.Messages
	last := msgs[len(msgs)-1].Content
	if len(msgs) != 4 || msgs[2].Role != "assistant" || !strings.Contains(last, "could not be used") {
		t.Errorf("re-ask does not carry the bad reply and the error: %d messages, last %q", len(msgs), last)
	}
}

// TestInvalidJSONAlwaysIsTransient: output that stays malformed after the
// re-asks is not the document's fault, so it is a transient error wrapping
// ErrBadOutput (the task is retried), never the permanent EGENERATION.
func TestInvalidJSONAlwaysIsTransient(t *testing.T) {
	b := setup(t, fakeopenai.Always(fakeopenai.KindQuestions, fakeopenai.Action{Do: fakeopenai.InvalidJSON}), setupOpts{})
	_, err := generate1(t, b, generate.Request{Pages: document(3, 8, 4), Options: mcOptions(5)})
	assertTransient(t, err)
	if !errors.Is(err, generate.ErrBadOutput) {
		t.Errorf("err = %v, want it to wrap generate.ErrBadOutput", err)
	}
	// Bounded: 1 call + 2 re-asks per round, and the refill rounds find
	// no chunk with text left after the first round gave nothing.
	if n := b.fake.Count(""); n != 3 {
		t.Errorf("%d calls, want 3 (the first and 2 re-asks)", n)
	}
}

func TestFencedJSONIsRepairedWithoutReasking(t *testing.T) {
	b := setup(t, fakeopenai.Always(fakeopenai.KindQuestions, fakeopenai.Action{Do: fakeopenai.Fenced}), setupOpts{})
	pages := document(3, 8, 5)
	res, err := generate1(t, b, generate.Request{Pages: pages, Options: mcOptions(5)})
	if err != nil {
		t.Fatal(err)
	}
	assertQuiz(t, res, pages, 5)
	if n := b.fake.Count(""); n != 1 {
		t.Errorf("%d calls, want 1", n)
	}
}

func TestTruncatedReplyKeepsCompleteItems(t *testing.T) {
	b := setup(t, fakeopenai.Always(fakeopenai.KindQuestions, fakeopenai.Action{Do: fakeopenai.Truncated}), setupOpts{})
	pages := document(4, 8, 6)
	res, err := generate1(t, b, generate.Request{Pages: pages, Options: mcOptions(6)})
	if err != nil {
		t.Fatal(err)
	}
	assertQuiz(t, res, pages, 6)
	// Repair, not re-ask: every call was a first ask.
	for _, c := range b.fake.Calls("") {
		if len(c.Request.Messages) != 2 {
			t.Errorf("call %d has %d messages: a truncated reply was re-asked instead of repaired", c.N, len(c.Request.Messages))
		}
	}
}

func TestTooFewQuestionsAreRefilled(t *testing.T) {
	b := setup(t, fakeopenai.Sequence(fakeopenai.Action{Do: fakeopenai.WrongCount, N: 2}), setupOpts{})
	pages := document(3, 10, 7)
	res, err := generate1(t, b, generate.Request{Pages: pages, Options: mcOptions(8)})
	if err != nil {
		t.Fatal(err)
	}
	assertQuiz(t, res, pages, 8)
	calls := b.fake.Calls(fakeopenai.KindQuestions)
	if len(calls) != 2 {
		t.Fatalf("%d calls, want 2 (one refill round)", len(calls))
	}
	user := calls[1].Request.Messages[1].Content
	if !strings.Contains(user, "Already asked") {
		t.Error("the refill call does not list the questions already asked")
	}
}

func TestTooManyQuestionsAreTrimmed(t *testing.T) {
	b := setup(t, fakeopenai.Always(fakeopenai.KindQuestions, fakeopenai.Action{Do: fakeopenai.WrongCount, N: 20}), setupOpts{})
	pages := document(3, 10, 8)
	res, err := generate1(t, b, generate.Request{Pages: pages, Options: mcOptions(5)})
	if err != nil {
		t.Fatal(err)
	}
	assertQuiz(t, res, pages, 5)
}

func TestDuplicatesAreDropped(t *testing.T) {
	b := setup(t, fakeopenai.Always(fakeopenai.KindQuestions, fakeopenai.Action{Do: fakeopenai.Duplicates}), setupOpts{})
	pages := document(4, 8, 9)
	res, err := generate1(t, b, generate.Request{Pages: pages, Options: mcOptions(8)})
	if err != nil {
		t.Fatal(err)
	}
	assertQuiz(t, res, pages, 8) // includes: no two duplicates, options distinct
	for _, q := range res.Questions {
		if len(q.Options) != 3 {
			t.Errorf("question with a repeated option should keep 3 distinct options, has %d", len(q.Options))
		}
	}
}

func TestKeyAlwaysAtBIsBalanced(t *testing.T) {
	b := setup(t, fakeopenai.Always(fakeopenai.KindQuestions, fakeopenai.Action{Do: fakeopenai.KeyAtB}), setupOpts{})
	pages := document(6, 8, 10)
	res, err := generate1(t, b, generate.Request{Pages: pages, Options: mcOptions(12)})
	if err != nil {
		t.Fatal(err)
	}
	assertQuiz(t, res, pages, 12) // includes the balance check
	pos := map[int]int{}
	for _, q := range res.Questions {
		for i, o := range q.Options {
			if o.Correct {
				pos[i]++
			}
		}
	}
	for p := range 4 {
		if pos[p] != 3 {
			t.Errorf("12 questions over 4 positions: position %d has %d keys, want 3 (%v)", p, pos[p], pos)
		}
	}
}

func TestUngroundedQuotesAreReplaced(t *testing.T) {
	b := setup(t, fakeopenai.Always(fakeopenai.KindQuestions, fakeopenai.Action{Do: fakeopenai.BadQuotes, Some: true}), setupOpts{})
	pages := document(4, 10, 11)
	res, err := generate1(t, b, generate.Request{Pages: pages, Options: mcOptions(8)})
	if err != nil {
		t.Fatal(err)
	}
	assertQuiz(t, res, pages, 8)
	for _, q := range res.Questions {
		if strings.Contains(q.Source.Quote, "green cheese") {
			t.Errorf("an invented quote got through: %q", q.Source.Quote)
		}
	}
}

func TestNoGroundedQuestionsFails(t *testing.T) {
	b := setup(t, fakeopenai.Always(fakeopenai.KindQuestions, fakeopenai.Action{Do: fakeopenai.BadQuotes}), setupOpts{})
	_, err := generate1(t, b, generate.Request{Pages: document(3, 8, 12), Options: mcOptions(5)})
	assertGenerationError(t, err)
}

func TestWrongPageIsCorrected(t *testing.T) {
	b := setup(t, fakeopenai.Always(fakeopenai.KindQuestions, fakeopenai.Action{Do: fakeopenai.WrongPage}), setupOpts{})
	pages := document(3, 8, 13)
	res, err := generate1(t, b, generate.Request{Pages: pages, Options: mcOptions(6)})
	if err != nil {
		t.Fatal(err)
	}
	assertQuiz(t, res, pages, 6) // grounded means the page was fixed
}

func TestShortDocumentWarns(t *testing.T) {
	b := setup(t, nil, setupOpts{})
	pages := document(1, 4, 14) // 4 sentences: at most 4 questions
	res, err := generate1(t, b, generate.Request{Pages: pages, Options: mcOptions(10)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Questions) != 4 || len(res.Warnings) != 1 || !strings.HasPrefix(res.Warnings[0], "generated 4 of 10 questions: ") {
		t.Fatalf("%d questions, warnings %q; want 4 and a 'generated 4 of 10' warning", len(res.Questions), res.Warnings)
	}
	assertQuiz(t, res, pages, 4)
}

func TestShortfallWarningNamesReason(t *testing.T) {
	b := setup(t, fakeopenai.Always(fakeopenai.KindQuestions, fakeopenai.Action{Do: fakeopenai.BadQuotes, Some: true}), setupOpts{})
	pages := document(1, 6, 15)
	res, err := generate1(t, b, generate.Request{Pages: pages, Options: mcOptions(6)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "not supported by the document text") {
		t.Fatalf("warnings %q (%d questions)", res.Warnings, len(res.Questions))
	}
	t.Log(res.Warnings[0])
}

func TestAnswerCheckDropsWrongKeys(t *testing.T) {
	b := setup(t, fakeopenai.Always(fakeopenai.KindQuestions, fakeopenai.Action{Do: fakeopenai.WrongKeys, Some: true}),
		setupOpts{pipe: generate.Config{AnswerCheck: true}})
	pages := document(4, 10, 16)
	res, err := generate1(t, b, generate.Request{Pages: pages, Options: mcOptions(8)})
	if err != nil {
		t.Fatal(err)
	}
	assertQuiz(t, res, pages, 8)
	if b.fake.Count(fakeopenai.KindAnswers) == 0 {
		t.Fatal("no answer-check calls")
	}
	for _, q := range res.Questions {
		assertKeyInQuote(t, q)
	}
}

// assertKeyInQuote checks a fake-made multiple-choice question's key: the
// correct option is the word blanked out of the quoted sentence.
func assertKeyInQuote(t *testing.T, q quizflow.Question) {
	t.Helper()
	for _, o := range q.Options {
		if o.Correct && !strings.Contains(q.Source.Quote, o.Text) {
			t.Errorf("wrong key %q kept for %q", o.Text, q.Prompt)
		}
	}
}

func TestWrongKeysPassWithoutAnswerCheck(t *testing.T) {
	// The control for the test above: without the check, wrong keys stay.
	b := setup(t, fakeopenai.Always(fakeopenai.KindQuestions, fakeopenai.Action{Do: fakeopenai.WrongKeys}), setupOpts{})
	pages := document(2, 8, 17)
	res, err := generate1(t, b, generate.Request{Pages: pages, Options: mcOptions(4)})
	if err != nil {
		t.Fatal(err)
	}
	wrong := 0
	for _, q := range res.Questions {
		for _, o := range q.Options {
			if o.Correct && !strings.Contains(q.Source.Quote, o.Text) {
				wrong++
			}
		}
	}
	if wrong != 4 {
		t.Errorf("%d wrong keys, want 4 (the fake marks every key wrong)", wrong)
	}
}

func TestAnswerCheckDisagreeingEverywhereFails(t *testing.T) {
	b := setup(t, fakeopenai.Always(fakeopenai.KindAnswers, fakeopenai.Action{Do: fakeopenai.WrongAnswers}),
		setupOpts{pipe: generate.Config{AnswerCheck: true}})
	_, err := generate1(t, b, generate.Request{Pages: document(2, 8, 18), Options: mcOptions(4)})
	assertGenerationError(t, err)
}

func TestRetryAfterIsHonoured(t *testing.T) {
	b := setup(t, fakeopenai.Sequence(fakeopenai.Action{Do: fakeopenai.RateLimited, RetryAfter: "1"}), setupOpts{})
	pages := document(2, 8, 19)
	res, err := generate1(t, b, generate.Request{Pages: pages, Options: mcOptions(4)})
	if err != nil {
		t.Fatal(err)
	}
	assertQuiz(t, res, pages, 4)
	calls := b.fake.Calls("")
	if len(calls) != 2 {
		t.Fatalf("%d calls, want 2", len(calls))
	}
	// Retry-After is a lower bound on the wait, so this is not a timing flake.
	if gap := calls[1].Time.Sub(calls[0].Time); gap < time.Second {
		t.Errorf("retried after %v, want >= 1s (Retry-After: 1)", gap)
	}
}

func TestRetryAfterHTTPDate(t *testing.T) {
	// The date is made when the call arrives, 2 s ahead; HTTP dates have
	// whole seconds, so the client must wait until at least 1 s after the
	// first call reached the server.
	b := setup(t, func(c *fakeopenai.Call) fakeopenai.Action {
		if c.N == 1 {
			when := c.Time.Add(2 * time.Second).UTC().Format(http.TimeFormat)
			return fakeopenai.Action{Do: fakeopenai.RateLimited, RetryAfter: when}
		}
		return fakeopenai.Action{}
	}, setupOpts{})
	pages := document(2, 8, 20)
	res, err := generate1(t, b, generate.Request{Pages: pages, Options: mcOptions(3)})
	if err != nil {
		t.Fatal(err)
	}
	assertQuiz(t, res, pages, 3)
	calls := b.fake.Calls("")
	if gap := calls[1].Time.Sub(calls[0].Time); gap < time.Second {
		t.Errorf("retried after %v, want >= 1s", gap)
	}
}

func TestServerErrorsAreRetried(t *testing.T) {
	b := setup(t, fakeopenai.Sequence(fakeopenai.Action{Do: fakeopenai.ServerError}, fakeopenai.Action{Do: fakeopenai.ServerError}), setupOpts{})
	pages := document(2, 8, 21)
	res, err := generate1(t, b, generate.Request{Pages: pages, Options: mcOptions(4)})
	if err != nil {
		t.Fatal(err)
	}
	assertQuiz(t, res, pages, 4)
	if n := b.fake.Count(""); n != 3 {
		t.Errorf("%d calls, want 3", n)
	}
}

func TestPersistentServerErrorIsTransient(t *testing.T) {
	b := setup(t, fakeopenai.Always(fakeopenai.KindQuestions, fakeopenai.Action{Do: fakeopenai.ServerError}),
		setupOpts{llm: llm.Config{MaxRetries: 2}})
	_, err := generate1(t, b, generate.Request{Pages: document(2, 8, 22), Options: mcOptions(4)})
	assertTransient(t, err)
	if !errors.Is(err, generate.ErrUnavailable) {
		t.Errorf("err = %v, want it to wrap generate.ErrUnavailable", err)
	}
	if n := b.fake.Count(""); n != 3 {
		t.Errorf("%d calls, want 3 (1 + 2 retries)", n)
	}
}

func TestPersistentRateLimitIsTransient(t *testing.T) {
	b := setup(t, fakeopenai.Always(fakeopenai.KindQuestions, fakeopenai.Action{Do: fakeopenai.RateLimited, RetryAfter: "0"}),
		setupOpts{llm: llm.Config{MaxRetries: 1}})
	_, err := generate1(t, b, generate.Request{Pages: document(2, 8, 23), Options: mcOptions(4)})
	assertTransient(t, err)
	if !errors.Is(err, generate.ErrUnavailable) {
		t.Errorf("err = %v, want it to wrap generate.ErrUnavailable", err)
	}
}

func TestSlowReplyTimesOutAndIsRetried(t *testing.T) {
	b := setup(t, fakeopenai.Sequence(fakeopenai.Action{Delay: 2 * time.Second}),
		setupOpts{llm: llm.Config{Timeout: 300 * time.Millisecond}})
	pages := document(2, 8, 24)
	res, err := generate1(t, b, generate.Request{Pages: pages, Options: mcOptions(4)})
	if err != nil {
		t.Fatal(err)
	}
	assertQuiz(t, res, pages, 4)
	if n := b.fake.Count(""); n != 2 {
		t.Errorf("%d calls, want 2", n)
	}
}

func TestAlwaysSlowIsTransient(t *testing.T) {
	b := setup(t, fakeopenai.Always(fakeopenai.KindQuestions, fakeopenai.Action{Delay: 2 * time.Second}),
		setupOpts{llm: llm.Config{Timeout: 100 * time.Millisecond, MaxRetries: 1}})
	_, err := generate1(t, b, generate.Request{Pages: document(2, 8, 25), Options: mcOptions(4)})
	assertTransient(t, err)
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, generate.ErrUnavailable) {
		t.Errorf("err = %v, want it to wrap context.DeadlineExceeded and generate.ErrUnavailable", err)
	}
}

func TestCancelledContext(t *testing.T) {
	b := setup(t, fakeopenai.Always(fakeopenai.KindQuestions, fakeopenai.Action{Delay: 5 * time.Second}), setupOpts{})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := b.pipe.Generate(ctx, generate.Request{Pages: document(2, 8, 26), Options: mcOptions(4)})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("Generate took %v after its context ended", el)
	}
}

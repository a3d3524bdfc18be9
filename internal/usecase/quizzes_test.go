package usecase_test

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/jobs"
)

func TestCreateQuiz(t *testing.T) {
	b := setup(t)
	doc := b.document(t, docOpts{})
	ctx := quizflow.WithRequestID(b.ctx, "req-quiz-1")
	job, err := b.svc.Quizzes.CreateQuiz(ctx, b.user, doc.ID, quizflow.GenerateOptions{QuestionCount: 4, Difficulty: "HARD"})
	must(t, err)

	wantOpts := quizflow.GenerateOptions{
		QuestionCount: 4, QuestionTypes: defaultOptions.QuestionTypes, Difficulty: quizflow.DifficultyHard, Language: "en",
	}
	want := quizflow.Job{
		ID: job.ID, OwnerID: b.user.ID, Kind: quizflow.JobQuiz, Status: quizflow.StatusQueued, Stage: quizflow.StageQueued,
		DocumentID: doc.ID, Options: &wantOpts, RequestID: "req-quiz-1", CreatedAt: job.CreatedAt, UpdatedAt: job.UpdatedAt,
	}
	if d := diff(want, *job); d != "" {
		t.Errorf("job (-want +got):\n%s", d)
	}
	if stored, _ := b.store.storedJob(job.ID); diff(want, stored) != "" {
		t.Errorf("stored job (-want +got):\n%s", diff(want, stored))
	}
	tasks := b.queue.queued()
	if len(tasks) != 1 || tasks[0].Type != jobs.TypeQuizGenerate {
		t.Fatalf("tasks = %v, want one %s", tasks, jobs.TypeQuizGenerate)
	}
	wantPayload := jobs.DocumentPayload{JobID: job.ID, DocumentID: doc.ID, OwnerID: b.user.ID, RequestID: "req-quiz-1", MaxPages: quizflow.DefaultPlans().Free.MaxPages}
	if d := diff(wantPayload, payload[jobs.DocumentPayload](t, tasks[0])); d != "" {
		t.Errorf("payload (-want +got):\n%s", d)
	}
	if stored, _ := b.store.storedDocument(doc.ID); diff(*doc, stored) != "" {
		t.Errorf("document changed (-want +got):\n%s", diff(*doc, stored))
	}
}

func TestCreateQuizRefused(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  string // of the document
		other   bool   // another user's document
		opts    quizflow.GenerateOptions
		code    string
		field   string
		message string
	}{
		{name: "uploaded", status: quizflow.DocumentUploaded, code: quizflow.ECONFLICT, message: "still being read"},
		{name: "extracting", status: quizflow.DocumentExtracting, code: quizflow.ECONFLICT, message: "still being read"},
		{name: "failed", status: quizflow.DocumentFailed, code: quizflow.ECONFLICT, message: "No text could be read"},
		{name: "another user's", other: true, code: quizflow.ENOTFOUND},
		{name: "bad options", opts: quizflow.GenerateOptions{QuestionCount: -1}, code: quizflow.EINVALID, field: "question_count"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t)
			o := docOpts{Status: tc.status}
			if tc.other {
				o.Owner = b.other
			}
			doc := b.document(t, o)
			_, err := b.svc.Quizzes.CreateQuiz(b.ctx, b.user, doc.ID, tc.opts)
			qe := wantError(t, err, tc.code, tc.field)
			if !strings.Contains(qe.Message, tc.message) {
				t.Errorf("message %q does not say %q", qe.Message, tc.message)
			}
			if jobs := b.store.allJobs(); len(jobs) > 0 {
				t.Errorf("jobs = %v, want none", jobs)
			}
			if tasks := b.queue.queued(); len(tasks) > 0 {
				t.Errorf("tasks = %v, want none", tasks)
			}
		})
	}
}

func TestCreateQuizQueueDown(t *testing.T) {
	b := setup(t)
	doc := b.document(t, docOpts{})
	b.queue.fail(errors.New("redis: i/o timeout"))
	_, err := b.svc.Quizzes.CreateQuiz(b.ctx, b.user, doc.ID, quizflow.GenerateOptions{})
	wantError(t, err, quizflow.EUNAVAILABLE, "")
	if jobs := b.store.allJobs(); len(jobs) != 0 {
		t.Errorf("jobs = %+v, want none: the job never started", jobs)
	}
	// The document was readable before and stays so.
	if stored, _ := b.store.storedDocument(doc.ID); diff(*doc, stored) != "" {
		t.Errorf("document changed (-want +got):\n%s", diff(*doc, stored))
	}
}

func TestQuiz(t *testing.T) {
	b := setup(t)
	q := b.quiz(t, b.document(t, docOpts{}), quizOpts{})
	theirs := b.quiz(t, b.document(t, docOpts{Owner: b.other}), quizOpts{})
	got, err := b.svc.Quizzes.Quiz(b.ctx, b.user, q.ID)
	must(t, err)
	if d := diff(*q, *got); d != "" {
		t.Errorf("Quiz (-want +got):\n%s", d)
	}
	_, err = b.svc.Quizzes.Quiz(b.ctx, b.user, theirs.ID)
	wantError(t, err, quizflow.ENOTFOUND, "")
	list, _, err := b.svc.Quizzes.Quizzes(b.ctx, b.user, quizflow.PageRequest{})
	must(t, err)
	if len(list) != 1 || list[0].ID != q.ID {
		t.Errorf("Quizzes = %v, want only %s", list, q.ID)
	}
}

// seen is what an edit func saw of the quiz it was given.
type seen struct {
	Title   string
	Version int
}

func TestEdit(t *testing.T) {
	t.Run("a concurrent edit wins once", func(t *testing.T) {
		b := setup(t)
		q := b.quiz(t, b.document(t, docOpts{}), quizOpts{})
		wins := 1
		b.store.onUpdateQuiz = func(stored *quizflow.Quiz) {
			if wins > 0 {
				wins--
				stored.Title = "Renamed elsewhere"
				stored.Version++
			}
		}
		var saw []seen
		got, err := b.svc.Quizzes.Edit(b.ctx, b.user.ID, q.ID, func(q *quizflow.Quiz) error {
			saw = append(saw, seen{q.Title, q.Version})
			q.Questions = q.Questions[:2]
			return nil
		})
		must(t, err)
		if d := diff([]seen{{"Photosynthesis", 1}, {"Renamed elsewhere", 2}}, saw); d != "" {
			t.Errorf("edit saw (-want +got):\n%s", d)
		}
		if got.Title != "Renamed elsewhere" || len(got.Questions) != 2 || got.Version != 3 {
			t.Errorf("got title %q, %d questions, version %d; want both edits, version 3", got.Title, len(got.Questions), got.Version)
		}
		if stored, _ := b.store.storedQuiz(q.ID); diff(*got, stored) != "" {
			t.Errorf("stored quiz (-want +got):\n%s", diff(*got, stored))
		}
	})

	t.Run("concurrent edits always win", func(t *testing.T) {
		b := setup(t)
		q := b.quiz(t, b.document(t, docOpts{}), quizOpts{})
		b.store.onUpdateQuiz = func(stored *quizflow.Quiz) { stored.Version++ }
		edits := 0
		b.log.take()
		_, err := b.svc.Quizzes.Edit(b.ctx, b.user.ID, q.ID, func(q *quizflow.Quiz) error {
			edits++
			q.Title = "Mine"
			return nil
		})
		wantError(t, err, quizflow.ECONFLICT, "")
		updates := len(methods(b.log.take(), func(m string) bool { return m == "store.UpdateQuiz" }))
		if edits < 2 || edits > 10 || updates != edits {
			t.Errorf("%d edits, %d updates; want a few retries, then ECONFLICT", edits, updates)
		}
		if stored, _ := b.store.storedQuiz(q.ID); stored.Title != q.Title {
			t.Errorf("title = %q, want %q unchanged", stored.Title, q.Title)
		}
	})

	t.Run("the edit fails", func(t *testing.T) {
		b := setup(t)
		q := b.quiz(t, b.document(t, docOpts{}), quizOpts{})
		refused := quizflow.Invalid("title", "No.")
		b.log.take()
		_, err := b.svc.Quizzes.Edit(b.ctx, b.user.ID, q.ID, func(q *quizflow.Quiz) error {
			q.Title = "Half done"
			return refused
		})
		if !errors.Is(err, refused) {
			t.Fatalf("err = %v, want %v", err, refused)
		}
		if got := storeCalls(b.log.take()); slices.Contains(got, "store.UpdateQuiz") {
			t.Errorf("store calls = %v, want no UpdateQuiz", got)
		}
		if stored, _ := b.store.storedQuiz(q.ID); diff(*q, stored) != "" {
			t.Errorf("stored quiz changed (-want +got):\n%s", diff(*q, stored))
		}
	})

	t.Run("missing or another user's", func(t *testing.T) {
		b := setup(t)
		q := b.quiz(t, b.document(t, docOpts{}), quizOpts{})
		for _, c := range []struct{ owner, id string }{{b.user.ID, quizflow.NewID("quiz")}, {b.other.ID, q.ID}} {
			_, err := b.svc.Quizzes.Edit(b.ctx, c.owner, c.id, func(*quizflow.Quiz) error {
				t.Error("edit called")
				return nil
			})
			wantError(t, err, quizflow.ENOTFOUND, "")
		}
	})
}

// TestEditConcurrently runs real concurrent edits: each either saves or
// answers ECONFLICT, and every saved one is kept.
func TestEditConcurrently(t *testing.T) {
	b := setup(t)
	q := b.quiz(t, b.document(t, docOpts{}), quizOpts{})
	prompts := []string{
		"Describe how the water cycle moves water between the oceans and the sky.",
		"Explain why the Roman Empire split into eastern and western halves.",
		"Compare the economic policies of two modern democracies of your choice.",
		"Discuss the role of enzymes in human digestion.",
		"Evaluate the impact of the printing press on European literacy.",
		"Argue for or against the use of nuclear power for electricity.",
		"Summarise the main causes of the First World War.",
		"Analyse how plate tectonics shapes mountain ranges.",
	}
	var wg sync.WaitGroup
	errs := make([]error, len(prompts))
	for i, p := range prompts {
		wg.Go(func() {
			_, errs[i] = b.svc.Quizzes.AddQuestion(b.ctx, b.user, q.ID, quizflow.Question{Type: quizflow.Essay, Prompt: p})
		})
	}
	wg.Wait()
	saved := 0
	for _, err := range errs {
		switch quizflow.ErrorCode(err) {
		case "":
			saved++
		case quizflow.ECONFLICT:
		default:
			t.Errorf("AddQuestion: %v", err)
		}
	}
	stored, _ := b.store.storedQuiz(q.ID)
	if saved == 0 || len(stored.Questions) != len(q.Questions)+saved || stored.Version != q.Version+saved {
		t.Errorf("%d saved; stored %d questions, version %d; want %d, %d",
			saved, len(stored.Questions), stored.Version, len(q.Questions)+saved, q.Version+saved)
	}
}

func TestUpdateQuiz(t *testing.T) {
	ptr := func(s string) *string { return &s }
	for _, tc := range []struct {
		name      string
		title     *string
		order     func(ids []string) []string
		wantTitle string
		wantOrder func(ids []string) []string
		field     string // of the EINVALID error, or "" for success
	}{
		{name: "title trimmed", title: ptr("  Cell biology \n"), wantTitle: "Cell biology"},
		{name: "title of 200 characters", title: ptr(strings.Repeat("é", 200)), wantTitle: strings.Repeat("é", 200)},
		{name: "empty title", title: ptr(""), field: "title"},
		{name: "blank title", title: ptr(" \t "), field: "title"},
		{name: "title of 201 characters", title: ptr(strings.Repeat("é", 201)), field: "title"},
		{
			name:  "reversed",
			order: func(ids []string) []string { return []string{ids[2], ids[1], ids[0]} },
			wantOrder: func(ids []string) []string {
				return []string{ids[2], ids[1], ids[0]}
			},
		},
		{
			name: "title and order", title: ptr("Both"), wantTitle: "Both",
			order:     func(ids []string) []string { return []string{ids[1], ids[0], ids[2]} },
			wantOrder: func(ids []string) []string { return []string{ids[1], ids[0], ids[2]} },
		},
		{name: "order missing one", order: func(ids []string) []string { return ids[:2] }, field: "question_order"},
		{name: "order empty", order: func([]string) []string { return []string{} }, field: "question_order"},
		{name: "order repeating one", order: func(ids []string) []string { return []string{ids[0], ids[0], ids[1]} }, field: "question_order"},
		{name: "order naming an unknown", order: func(ids []string) []string { return []string{ids[0], ids[1], "q_unknown"} }, field: "question_order"},
		{
			name: "good title, bad order", title: ptr("Not saved"),
			order: func(ids []string) []string { return ids[:1] }, field: "question_order",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t)
			q := b.quiz(t, b.document(t, docOpts{}), quizOpts{})
			var ids []string
			for _, qu := range q.Questions {
				ids = append(ids, qu.ID)
			}
			u := quizflow.QuizUpdate{Title: tc.title}
			if tc.order != nil {
				u.QuestionOrder = tc.order(slices.Clone(ids))
			}
			got, err := b.svc.Quizzes.UpdateQuiz(b.ctx, b.user, q.ID, u)
			stored, _ := b.store.storedQuiz(q.ID)
			if tc.field != "" {
				wantError(t, err, quizflow.EINVALID, tc.field)
				if d := diff(*q, stored); d != "" {
					t.Errorf("stored quiz changed (-want +got):\n%s", d)
				}
				return
			}
			must(t, err)
			want := cloneQuiz(*q)
			want.Version, want.UpdatedAt = 2, got.UpdatedAt
			if tc.wantTitle != "" {
				want.Title = tc.wantTitle
			}
			if tc.wantOrder != nil {
				byID := map[string]quizflow.Question{}
				for _, qu := range q.Questions {
					byID[qu.ID] = qu
				}
				want.Questions = nil
				for _, id := range tc.wantOrder(ids) {
					want.Questions = append(want.Questions, byID[id])
				}
			}
			if d := diff(want, *got); d != "" {
				t.Errorf("UpdateQuiz (-want +got):\n%s", d)
			}
			if d := diff(want, stored); d != "" {
				t.Errorf("stored quiz (-want +got):\n%s", d)
			}
		})
	}
}

func TestUpdateQuestion(t *testing.T) {
	str := func(s string) *string { return &s }
	quote := "Plants absorb carbon dioxide from the air"
	for _, tc := range []struct {
		name   string
		target int    // index of the question edited
		qid    string // edited question's ID, if not the target's
		u      func(q *quizflow.Quiz) quizflow.QuestionUpdate
		want   func(q quizflow.Question) quizflow.Question // the edited question, given the original
		code   string                                      // of the error, "" for success
		field  string
	}{
		{
			name: "prompt trimmed",
			u: func(*quizflow.Quiz) quizflow.QuestionUpdate {
				return quizflow.QuestionUpdate{Prompt: str("  Which gas do leaves take in to make sugar?  ")}
			},
			want: func(q quizflow.Question) quizflow.Question {
				q.Prompt = "Which gas do leaves take in to make sugar?"
				return q
			},
		},
		{
			name: "difficulty lower-cased",
			u:    func(*quizflow.Quiz) quizflow.QuestionUpdate { return quizflow.QuestionUpdate{Difficulty: str("HARD")} },
			want: func(q quizflow.Question) quizflow.Question { q.Difficulty = quizflow.DifficultyHard; return q },
		},
		{
			name: "quote on the cited page", target: 1,
			u: func(*quizflow.Quiz) quizflow.QuestionUpdate {
				return quizflow.QuestionUpdate{Source: &quizflow.Source{Page: 1, Quote: "Photosynthesis happens in the chloroplasts of plant cells"}}
			},
			want: func(q quizflow.Question) quizflow.Question {
				q.Source = quizflow.Source{Page: 1, Quote: "Photosynthesis happens in the chloroplasts of plant cells"}
				q.Verified = true
				return q
			},
		},
		{
			name: "quote on another page",
			u: func(*quizflow.Quiz) quizflow.QuestionUpdate {
				return quizflow.QuestionUpdate{Source: &quizflow.Source{Page: 2, Quote: quote}}
			},
			want: func(q quizflow.Question) quizflow.Question {
				q.Source = quizflow.Source{Page: 2, Quote: quote}
				q.Verified = false
				return q
			},
		},
		{
			name: "quote too short to ground",
			u: func(*quizflow.Quiz) quizflow.QuestionUpdate {
				return quizflow.QuestionUpdate{Source: &quizflow.Source{Page: 1, Quote: "carbon dioxide"}}
			},
			want: func(q quizflow.Question) quizflow.Question {
				q.Source = quizflow.Source{Page: 1, Quote: "carbon dioxide"}
				q.Verified = false
				return q
			},
		},
		{
			name: "options replaced, IDs assigned",
			u: func(*quizflow.Quiz) quizflow.QuestionUpdate {
				return quizflow.QuestionUpdate{Options: &[]quizflow.Option{
					{Text: " Oxygen "}, {Text: "Carbon dioxide", Correct: true}, {Text: "Helium"}, {Text: "Argon"},
				}}
			},
			want: func(q quizflow.Question) quizflow.Question {
				q.Options = []quizflow.Option{
					{ID: "a", Text: "Oxygen"}, {ID: "b", Text: "Carbon dioxide", Correct: true}, {ID: "c", Text: "Helium"}, {ID: "d", Text: "Argon"},
				}
				return q
			},
		},
		{
			// A client drops the first option and adds one: the new one
			// needs an ID that no kept option has.
			name: "an option added after kept ones",
			u: func(q *quizflow.Quiz) quizflow.QuestionUpdate {
				o := q.Questions[0].Options // a, b, c
				return quizflow.QuestionUpdate{Options: &[]quizflow.Option{
					o[1], o[2], {Text: "Carbon dioxide", Correct: true},
				}}
			},
			want: func(q quizflow.Question) quizflow.Question {
				q.Options = []quizflow.Option{q.Options[1], q.Options[2], {ID: "", Text: "Carbon dioxide", Correct: true}}
				return q // the new option's ID is checked below
			},
		},
		{
			name: "multiple choice without a correct option",
			u: func(*quizflow.Quiz) quizflow.QuestionUpdate {
				return quizflow.QuestionUpdate{Options: &[]quizflow.Option{{Text: "Oxygen"}, {Text: "Helium"}, {Text: "Argon"}}}
			},
			code: quizflow.EINVALID, field: "options",
		},
		{
			name: "type changed without its fields", target: 1,
			u: func(*quizflow.Quiz) quizflow.QuestionUpdate {
				return quizflow.QuestionUpdate{Type: str(quizflow.ShortAnswer)}
			},
			code: quizflow.EINVALID, field: "answers",
		},
		{
			name: "duplicate of another question's prompt", target: 1,
			u: func(q *quizflow.Quiz) quizflow.QuestionUpdate {
				return quizflow.QuestionUpdate{Prompt: &q.Questions[0].Prompt}
			},
			code: quizflow.EINVALID, field: "prompt",
		},
		{
			name: "bad difficulty",
			u: func(*quizflow.Quiz) quizflow.QuestionUpdate {
				return quizflow.QuestionUpdate{Difficulty: str("extreme")}
			},
			code: quizflow.EINVALID, field: "difficulty",
		},
		{
			name: "bad bloom level",
			u: func(*quizflow.Quiz) quizflow.QuestionUpdate {
				return quizflow.QuestionUpdate{BloomLevel: str("memorise")}
			},
			code: quizflow.EINVALID, field: "bloom_level",
		},
		{
			name: "too many points",
			u: func(*quizflow.Quiz) quizflow.QuestionUpdate {
				p := float64(quizflow.MaxPointsPerQuestion + 1)
				return quizflow.QuestionUpdate{Points: &p}
			},
			code: quizflow.EINVALID, field: "points",
		},
		{
			name: "unknown question", qid: quizflow.NewID("q"),
			u:    func(*quizflow.Quiz) quizflow.QuestionUpdate { return quizflow.QuestionUpdate{Prompt: str("Anything?")} },
			code: quizflow.ENOTFOUND,
		},
		{
			name: "over-long question ID", qid: strings.Repeat("q", 65),
			u:    func(*quizflow.Quiz) quizflow.QuestionUpdate { return quizflow.QuestionUpdate{Prompt: str("Anything?")} },
			code: quizflow.ENOTFOUND,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t)
			q := b.quiz(t, b.document(t, docOpts{}), quizOpts{})
			qid := tc.qid
			if qid == "" {
				qid = q.Questions[tc.target].ID
			}
			got, err := b.svc.Quizzes.UpdateQuestion(b.ctx, b.user, q.ID, qid, tc.u(q))
			stored, _ := b.store.storedQuiz(q.ID)
			if tc.code != "" {
				wantError(t, err, tc.code, tc.field)
				if d := diff(*q, stored); d != "" {
					t.Errorf("stored quiz changed (-want +got):\n%s", d)
				}
				return
			}
			if err != nil {
				t.Fatalf("UpdateQuestion: %v", err)
			}
			want := tc.want(cloneQuestion(q.Questions[tc.target]))
			if slices.ContainsFunc(want.Options, func(o quizflow.Option) bool { return o.ID == "" }) {
				checkOptionIDs(t, got.Options)
				for i := range want.Options {
					if want.Options[i].ID == "" && i < len(got.Options) {
						want.Options[i].ID = got.Options[i].ID
					}
				}
			}
			if d := diff(want, *got); d != "" {
				t.Errorf("UpdateQuestion (-want +got):\n%s", d)
			}
			if stored.Version != q.Version+1 {
				t.Errorf("version = %d, want %d", stored.Version, q.Version+1)
			}
			wantQs := slices.Clone(q.Questions)
			wantQs[tc.target] = *got
			if d := diff(wantQs, stored.Questions); d != "" {
				t.Errorf("stored questions (-want +got):\n%s", d)
			}
		})
	}
}

// checkOptionIDs fails t unless every option has an ID of its own.
func checkOptionIDs(t *testing.T, opts []quizflow.Option) {
	t.Helper()
	ids := map[string]bool{}
	for i, o := range opts {
		if o.ID == "" || ids[o.ID] {
			t.Errorf("option %d has ID %q, not one of its own: %+v", i, o.ID, opts)
		}
		ids[o.ID] = true
	}
}

func TestUpdateQuestionOfAnotherUser(t *testing.T) {
	b := setup(t)
	q := b.quiz(t, b.document(t, docOpts{Owner: b.other}), quizOpts{})
	prompt := "Mine now?"
	_, err := b.svc.Quizzes.UpdateQuestion(b.ctx, b.user, q.ID, q.Questions[0].ID, quizflow.QuestionUpdate{Prompt: &prompt})
	wantError(t, err, quizflow.ENOTFOUND, "")
	if stored, _ := b.store.storedQuiz(q.ID); diff(*q, stored) != "" {
		t.Errorf("stored quiz changed (-want +got):\n%s", diff(*q, stored))
	}
}

func TestAddQuestion(t *testing.T) {
	b := setup(t)
	q := b.quiz(t, b.document(t, docOpts{}), quizOpts{})
	got, err := b.svc.Quizzes.AddQuestion(b.ctx, b.user, q.ID, quizflow.Question{
		ID: "mine", Type: quizflow.MultipleChoice, Prompt: "Where in a plant cell does photosynthesis take place?",
		Options: []quizflow.Option{{Text: " Chloroplast ", Correct: true}, {Text: "Nucleus"}, {Text: "Ribosome"}},
		Source:  quizflow.Source{Page: 1, Quote: "Photosynthesis happens in the chloroplasts of plant cells"},
	})
	must(t, err)
	if !quizflow.ValidID("q", got.ID) {
		t.Errorf("ID = %q, want a new question ID", got.ID)
	}
	want := quizflow.Question{
		ID: got.ID, Type: quizflow.MultipleChoice, Prompt: "Where in a plant cell does photosynthesis take place?",
		Options: []quizflow.Option{{ID: "a", Text: "Chloroplast", Correct: true}, {ID: "b", Text: "Nucleus"}, {ID: "c", Text: "Ribosome"}},
		Answers: []string{}, Source: quizflow.Source{Page: 1, Quote: "Photosynthesis happens in the chloroplasts of plant cells"},
		Verified: true,
	}
	if d := diff(want, *got); d != "" {
		t.Errorf("AddQuestion (-want +got):\n%s", d)
	}
	stored, _ := b.store.storedQuiz(q.ID)
	if d := diff(append(slices.Clone(q.Questions), want), stored.Questions); d != "" || stored.Version != 2 {
		t.Errorf("stored version %d, questions (-want +got):\n%s", stored.Version, d)
	}
}

func TestAddQuestionRefused(t *testing.T) {
	for _, tc := range []struct {
		name  string
		q     func(q *quizflow.Quiz) quizflow.Question
		other bool // to another user's quiz
		code  string
		field string
	}{
		{
			name:  "no prompt",
			q:     func(*quizflow.Quiz) quizflow.Question { return quizflow.Question{Type: quizflow.Essay, Prompt: " "} },
			code:  quizflow.EINVALID,
			field: "prompt",
		},
		{
			name: "duplicate",
			q: func(q *quizflow.Quiz) quizflow.Question {
				d := cloneQuestion(q.Questions[0])
				d.Prompt = "Which gas do plants absorb from the air in photosynthesis?"
				return d
			},
			code: quizflow.EINVALID, field: "prompt",
		},
		{
			name: "another user's quiz", other: true,
			q: func(*quizflow.Quiz) quizflow.Question {
				return quizflow.Question{Type: quizflow.Essay, Prompt: "Discuss."}
			},
			code: quizflow.ENOTFOUND,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t)
			q := b.quizOf(t, tc.other)
			_, err := b.svc.Quizzes.AddQuestion(b.ctx, b.user, q.ID, tc.q(q))
			wantError(t, err, tc.code, tc.field)
			if stored, _ := b.store.storedQuiz(q.ID); diff(*q, stored) != "" {
				t.Errorf("stored quiz changed (-want +got):\n%s", diff(*q, stored))
			}
		})
	}
}

func TestDeleteQuestion(t *testing.T) {
	b := setup(t)
	q := b.quiz(t, b.document(t, docOpts{}), quizOpts{})
	must(t, b.svc.Quizzes.DeleteQuestion(b.ctx, b.user, q.ID, q.Questions[1].ID))
	stored, _ := b.store.storedQuiz(q.ID)
	if d := diff([]quizflow.Question{q.Questions[0], q.Questions[2]}, stored.Questions); d != "" || stored.Version != 2 {
		t.Errorf("stored version %d, questions (-want +got):\n%s", stored.Version, d)
	}

	err := b.svc.Quizzes.DeleteQuestion(b.ctx, b.user, q.ID, q.Questions[1].ID)
	wantError(t, err, quizflow.ENOTFOUND, "")
	if again, _ := b.store.storedQuiz(q.ID); again.Version != 2 {
		t.Errorf("version = %d after deleting an unknown question, want 2", again.Version)
	}
}

func TestRegenerateQuestion(t *testing.T) {
	b := setup(t)
	q := b.quiz(t, b.document(t, docOpts{}), quizOpts{})
	ctx := quizflow.WithRequestID(b.ctx, "req-regen")
	qid := q.Questions[2].ID
	job, err := b.svc.Quizzes.RegenerateQuestion(ctx, b.user, q.ID, qid)
	must(t, err)
	want := quizflow.Job{
		ID: job.ID, OwnerID: b.user.ID, Kind: quizflow.JobRegenerate, Status: quizflow.StatusQueued, Stage: quizflow.StageQueued,
		DocumentID: q.DocumentID, QuizID: q.ID, QuestionID: qid, RequestID: "req-regen", CreatedAt: job.CreatedAt, UpdatedAt: job.UpdatedAt,
	}
	if d := diff(want, *job); d != "" {
		t.Errorf("job (-want +got):\n%s", d)
	}
	tasks := b.queue.queued()
	if len(tasks) != 1 || tasks[0].Type != jobs.TypeQuestionRegenerate {
		t.Fatalf("tasks = %v, want one %s", tasks, jobs.TypeQuestionRegenerate)
	}
	wantPayload := jobs.RegeneratePayload{JobID: job.ID, QuizID: q.ID, QuestionID: qid, OwnerID: b.user.ID, RequestID: "req-regen"}
	if d := diff(wantPayload, payload[jobs.RegeneratePayload](t, tasks[0])); d != "" {
		t.Errorf("payload (-want +got):\n%s", d)
	}
}

func TestRegenerateQuestionRefused(t *testing.T) {
	t.Run("unknown question", func(t *testing.T) {
		b := setup(t)
		q := b.quiz(t, b.document(t, docOpts{}), quizOpts{})
		n := len(b.store.allJobs())
		_, err := b.svc.Quizzes.RegenerateQuestion(b.ctx, b.user, q.ID, quizflow.NewID("q"))
		wantError(t, err, quizflow.ENOTFOUND, "")
		if got := len(b.store.allJobs()); got != n {
			t.Errorf("%d jobs, want %d: none created", got, n)
		}
		if tasks := b.queue.queued(); len(tasks) > 0 {
			t.Errorf("tasks = %v, want none", tasks)
		}
	})
	t.Run("another user's quiz", func(t *testing.T) {
		b := setup(t)
		q := b.quiz(t, b.document(t, docOpts{Owner: b.other}), quizOpts{})
		_, err := b.svc.Quizzes.RegenerateQuestion(b.ctx, b.user, q.ID, q.Questions[0].ID)
		wantError(t, err, quizflow.ENOTFOUND, "")
	})
	t.Run("queue down", func(t *testing.T) {
		b := setup(t)
		q := b.quiz(t, b.document(t, docOpts{}), quizOpts{})
		b.queue.fail(errors.New("redis: connection pool timeout"))
		_, err := b.svc.Quizzes.RegenerateQuestion(b.ctx, b.user, q.ID, q.Questions[0].ID)
		wantError(t, err, quizflow.EUNAVAILABLE, "")
		for _, j := range b.store.allJobs() {
			if j.Kind == quizflow.JobRegenerate && (j.Status != quizflow.StatusFailed || j.Error == nil || j.Error.Code != quizflow.EUNAVAILABLE) {
				t.Errorf("regenerate job %s: status %q, error %+v; want failed %s", j.ID, j.Status, j.Error, quizflow.EUNAVAILABLE)
			}
		}
	})
}

func TestDeleteQuiz(t *testing.T) {
	b := setup(t)
	doc := b.document(t, docOpts{})
	q := b.quiz(t, doc, quizOpts{})
	ready := b.export(t, q, exportOpts{})
	queued := b.export(t, q, exportOpts{Format: "aiken", Status: quizflow.StatusQueued})
	kept := b.quiz(t, doc, quizOpts{})
	keptExport := b.export(t, kept, exportOpts{})
	jobsBefore := b.store.allJobs()

	b.log.take()
	must(t, b.svc.Quizzes.DeleteQuiz(b.ctx, b.user, q.ID))
	wantOrder := []string{"blobs.Delete", "store.DeleteExportsOfQuiz", "store.DeleteQuiz"}
	if d := diff(wantOrder, methods(b.log.take(), writes)); d != "" {
		t.Errorf("deletions (-want +got):\n%s", d)
	}
	wantKeys := []string{doc.BlobKey, doc.TextKey, keptExport.BlobKey}
	slices.Sort(wantKeys)
	if d := diff(wantKeys, b.blobs.keys()); d != "" {
		t.Errorf("files left (-want +got):\n%s", d)
	}
	for _, id := range []string{ready.ID, queued.ID} {
		if _, ok := b.store.storedExport(id); ok {
			t.Errorf("export %s still recorded", id)
		}
	}
	if _, ok := b.store.storedQuiz(q.ID); ok {
		t.Error("quiz still recorded")
	}
	if _, ok := b.store.storedQuiz(kept.ID); !ok {
		t.Error("the document's other quiz was deleted")
	}
	if _, ok := b.store.storedExport(keptExport.ID); !ok {
		t.Error("the other quiz's export was deleted")
	}
	if _, ok := b.store.storedDocument(doc.ID); !ok {
		t.Error("the document was deleted")
	}
	if d := diff(jobsBefore, b.store.allJobs()); d != "" {
		t.Errorf("jobs changed (-want +got):\n%s", d)
	}
}

func TestDeleteQuizOfAnotherUser(t *testing.T) {
	b := setup(t)
	q := b.quiz(t, b.document(t, docOpts{Owner: b.other}), quizOpts{})
	b.export(t, q, exportOpts{})
	keys, counts := b.blobs.keys(), b.store.counts()
	wantError(t, b.svc.Quizzes.DeleteQuiz(b.ctx, b.user, q.ID), quizflow.ENOTFOUND, "")
	if d := diff(keys, b.blobs.keys()); d != "" || b.store.counts() != counts {
		t.Errorf("something was deleted: records %v, want %v; files (-want +got):\n%s", b.store.counts(), counts, d)
	}
}

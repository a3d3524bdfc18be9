package httpapi

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/rs/zerolog"

	"github.com/quizflow/quizflow/internal/export"
	"github.com/quizflow/quizflow/internal/metrics"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// loadSpec parses and validates the embedded OpenAPI document.
func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openapiSpec)
	if err != nil {
		t.Fatalf("parse openapi.yaml: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() || doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi.yaml declares OpenAPI %q, want 3.1.0", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatalf("openapi.yaml is not a valid OpenAPI document: %v", err)
	}
	return doc
}

// fullServer is the API with every optional route mounted: metrics and
// the queue UI (a stand-in handler).
func fullServer() *Server {
	s := New(Deps{Log: zerolog.Nop(), AdminUI: http.NotFoundHandler()})
	return s.WithMetrics(metrics.New(), "")
}

var echoParam = regexp.MustCompile(`:([A-Za-z_][A-Za-z0-9_]*)`)

// registeredRoutes lists "METHOD /path" of every route Echo serves, with
// :param written {param}. Echo's own entries (route-not-found handlers,
// HEAD) and the "/*" wildcard under /admin/queues are left out, and a path
// registered for every method (Any, the queue UI) counts as GET.
func registeredRoutes(s *Server) []string {
	methods := map[string][]string{}
	for _, r := range s.echo.Routes() {
		if r.Method == http.MethodHead || strings.Contains(r.Path, "*") || !isHTTPMethod(r.Method) {
			continue
		}
		p := echoParam.ReplaceAllString(r.Path, "{$1}")
		methods[p] = append(methods[p], r.Method)
	}
	var out []string
	for p, ms := range methods {
		if len(ms) >= 9 && slices.Contains(ms, http.MethodGet) && slices.Contains(ms, http.MethodTrace) {
			ms = []string{http.MethodGet} // registered with Any
		}
		for _, m := range ms {
			out = append(out, m+" "+p)
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

func isHTTPMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete,
		http.MethodOptions, http.MethodTrace, http.MethodConnect, "PROPFIND", "REPORT":
		return true
	}
	return false
}

func specRoutes(doc *openapi3.T) []string {
	var out []string
	for p, item := range doc.Paths.Map() {
		for m := range item.Operations() {
			out = append(out, strings.ToUpper(m)+" "+p)
		}
	}
	sort.Strings(out)
	return out
}

// TestOpenAPIMatchesRoutes keeps openapi.yaml and routes.go in step: the
// spec is valid OpenAPI 3.1 and describes exactly the registered routes.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := loadSpec(t)
	got, want := specRoutes(doc), registeredRoutes(fullServer())
	for _, r := range want {
		if !slices.Contains(got, r) {
			t.Errorf("route %s is served but missing from openapi.yaml", r)
		}
	}
	for _, r := range got {
		if !slices.Contains(want, r) {
			t.Errorf("openapi.yaml describes %s, which the server does not serve", r)
		}
	}
	if len(want) < 30 {
		t.Errorf("only %d routes registered; is the server fully built? %v", len(want), want)
	}
}

// TestOpenAPIEnums keeps the spec's enums equal to the Go constants.
func TestOpenAPIEnums(t *testing.T) {
	doc := loadSpec(t)
	var formats []string
	for _, f := range export.Formats() {
		formats = append(formats, f.Name)
	}
	for name, want := range map[string][]string{
		"QuestionType":   quizflow.QuestionTypes,
		"BloomLevel":     quizflow.BloomLevels,
		"FormatName":     formats,
		"Plan":           {quizflow.PlanFree, quizflow.PlanPro},
		"Difficulty":     {quizflow.DifficultyEasy, quizflow.DifficultyMedium, quizflow.DifficultyHard, quizflow.DifficultyMixed},
		"DocumentKind":   {quizflow.KindPDF, quizflow.KindDOCX, quizflow.KindText, quizflow.KindMarkdown},
		"DocumentStatus": {quizflow.DocumentUploaded, quizflow.DocumentExtracting, quizflow.DocumentExtracted, quizflow.DocumentFailed},
		"JobKind":        {quizflow.JobQuiz, quizflow.JobRegenerate, quizflow.JobExport},
		"JobStatus":      {quizflow.StatusQueued, quizflow.StatusRunning, quizflow.StatusSucceeded, quizflow.StatusFailed},
		"JobStage": {quizflow.StageQueued, quizflow.StageExtracting, quizflow.StageGenerating, quizflow.StageSaving,
			quizflow.StageExporting, quizflow.StageDone},
	} {
		ref := doc.Components.Schemas[name]
		if ref == nil || ref.Value == nil {
			t.Errorf("schema %s missing", name)
			continue
		}
		var got []string
		for _, v := range ref.Value.Enum {
			s, _ := v.(string)
			got = append(got, s)
		}
		if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
			t.Errorf("schema %s enum = %v, want %v", name, got, want)
		}
	}
}

// TestOpenAPISchemasMatchJSON marshals fully populated values of the wire
// types and checks each against its schema: the JSON validates, and the
// schema's properties are exactly the JSON's fields, so a renamed, added or
// dropped JSON tag fails here.
func TestOpenAPISchemasMatchJSON(t *testing.T) {
	doc := loadSpec(t)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	opts := quizflow.GenerateOptions{QuestionCount: 10, QuestionTypes: []string{quizflow.MultipleChoice},
		Difficulty: quizflow.DifficultyMedium, BloomLevels: []string{"apply"}, Language: "en", Instructions: "x", Fresh: true}
	usage := quizflow.Usage{Model: "m", Calls: 1, PromptTokens: 2, CompletionTokens: 3, CostUSD: 0.1, Cached: true}
	user := &quizflow.User{ID: "usr_1", Email: "a@b.co", Name: "A", Plan: quizflow.PlanFree, Admin: true, CreatedAt: now, UpdatedAt: now}
	doc1 := &quizflow.Document{ID: "doc_1", OwnerID: "usr_1", Filename: "a.pdf", Kind: quizflow.KindPDF,
		ContentType: "application/pdf", Size: 1, SHA256: "ab", Status: quizflow.DocumentExtracted,
		PageCount: 1, WordCount: 2, Options: opts, CreatedAt: now, UpdatedAt: now}
	job := &quizflow.Job{ID: "job_1", Kind: quizflow.JobQuiz, Status: quizflow.StatusFailed, Stage: quizflow.StageDone,
		Progress: 100, Message: "m", Error: &quizflow.JobError{Code: "corrupt", Message: "m"},
		Result:     quizflow.JobResult{QuizID: "quiz_1", QuestionID: "q_1", ExportID: "exp_1"},
		DocumentID: "doc_1", QuizID: "quiz_1", QuestionID: "q_1", ExportID: "exp_1", Options: &opts,
		Attempts: 1, Usage: &usage, Warnings: []string{"w"}, CreatedAt: now, UpdatedAt: now}
	question := quizflow.Question{ID: "q_1", Type: quizflow.MultipleChoice, Prompt: "p",
		Options: []quizflow.Option{{ID: "a", Text: "t", Correct: true}}, Answers: []string{"a"},
		Pairs: []quizflow.Pair{{Left: "l", Right: "r"}}, Explanation: "e", Source: quizflow.Source{Page: 1, Quote: "q"},
		Verified: true, Difficulty: quizflow.DifficultyEasy, BloomLevel: "apply", Points: 2}
	quiz := &quizflow.Quiz{ID: "quiz_1", OwnerID: "usr_1", DocumentID: "doc_1", JobID: "job_1", Title: "t", Language: "en",
		Options: opts, Questions: []quizflow.Question{question}, Usage: usage, Warnings: []string{"w"}, Version: 1,
		CreatedAt: now, UpdatedAt: now}
	exp := viewExport(&quizflow.Export{ID: "exp_1", OwnerID: "usr_1", QuizID: "quiz_1", DocumentID: "doc_1", QuizVersion: 1,
		Format: "qti21", Options: quizflow.ExportOptions{PointsPerQuestion: 1, ShuffleAnswers: true, IncludeFeedback: true},
		Status: quizflow.StatusSucceeded, JobID: "job_1", FileName: "f.zip", ContentType: "application/zip", Size: 1,
		BlobKey: "k", Warnings: []string{"w"}, Error: &quizflow.JobError{Code: "c", Message: "m"}, CreatedAt: now, UpdatedAt: now})
	summary := quizSummary{ID: "quiz_1", DocumentID: "doc_1", Title: "t", Language: "en", QuestionCount: 1, Usage: usage,
		Version: 1, CreatedAt: now, UpdatedAt: now}

	share := &quizflow.Share{Token: "tok", URL: "https://qf.example/s/tok", QuizID: "quiz_1", CreatedAt: now}
	sharedQ := quizflow.SharedQuestion{ID: "q_1", Type: quizflow.Matching, Prompt: "p", Points: 1,
		Options: []quizflow.SharedOption{{ID: "a", Text: "t"}}, Left: []string{"l"}, Right: []string{"r"}}
	result := quizflow.QuestionResult{QuestionID: "q_1", Type: quizflow.MultipleAnswer, Score: 0.5, MaxScore: 1,
		Correct: false, Status: quizflow.ResultGraded, Answer: []string{"a"}, CorrectAnswer: []string{"a", "b"}, Explanation: "e"}
	score := quizflow.Score{Score: 0.5, MaxScore: 1, Results: []quizflow.QuestionResult{result}}
	attempt := quizflow.Attempt{ID: "att_1", QuizID: "quiz_1", Name: "Ada", Score: score, PendingReview: 1, CreatedAt: now}
	limits := quizflow.UploadLimits{Plan: quizflow.PlanFree, MaxFileSize: 1, MaxPages: 2, MaxQuestions: 3,
		AcceptedTypes: []quizflow.FileType{{Kind: quizflow.KindPDF, Extensions: []string{".pdf"}, ContentTypes: []string{"application/pdf"}}}}

	key := &quizflow.NewAPIKey{APIKey: quizflow.APIKey{ID: "key_1", Name: "n", Scopes: []string{quizflow.ScopeRead},
		Prefix: "qf_abcdef", LastUsedAt: &now, CreatedAt: now}, Key: "qf_secret"}
	checkSchemas(t, doc, map[string]any{
		"User":            user,
		"Session":         &quizflow.Session{User: user, AccessToken: "a", RefreshToken: "r", TokenType: "Bearer", ExpiresIn: 900},
		"Document":        doc1,
		"DocumentText":    quizflow.DocumentText{Pages: []quizflow.Page{{Number: 1, Text: "t"}}},
		"Page":            quizflow.Page{Number: 1, Text: "t"},
		"GenerateOptions": opts,
		"Job":             job,
		"JobError":        job.Error,
		"JobResult":       job.Result,
		"Usage":           usage,
		"Question":        question,
		"Option":          question.Options[0],
		"Pair":            question.Pairs[0],
		"Source":          question.Source,
		"Quiz":            quiz,
		"QuizSummary":     summary,
		"Export":          exp,
		"ExportOptions":   exp.Options,
		"Format":          export.Formats()[0],
		"DocumentCreated": documentResponse{Document: doc1, Job: job},
		"JobAccepted":     map[string]any{"job": job},
		"ExportCreated":   exportResponse{Export: exp, Job: job, Reused: true},
		"DocumentList":    listing("documents", []*quizflow.Document{doc1}, "c"),
		"JobList":         listing("jobs", []*quizflow.Job{job}, ""),
		"QuizList":        listing("quizzes", []quizSummary{summary}, ""),
		"ExportList":      listing("exports", []exportView{exp}, ""),
		"FormatList":      map[string]any{"formats": export.Formats()},
		"APIKey":          key.APIKey,
		"NewAPIKey":       key,
		"APIKeyList":      map[string]any{"api_keys": []quizflow.APIKey{key.APIKey}},
		"APIKeyRequest":   quizflow.APIKeyRequest{Name: "n", Scopes: []string{quizflow.ScopeRead}, ExpiresAt: &now},
		"PasswordChange":  passwordChange{CurrentPassword: "c", NewPassword: "a long new password"},
		"Share":           share,
		"SharedQuiz":      quizflow.SharedQuiz{Title: "t", Language: "en", MaxScore: 1, Questions: []quizflow.SharedQuestion{sharedQ}},
		"SharedQuestion":  sharedQ,
		"QuestionResult":  result,
		"Score":           score,
		"Attempt":         attempt,
		"AttemptList":     listing("attempts", []quizflow.Attempt{attempt}, ""),
		"AttemptRequest":  quizflow.AttemptRequest{Name: "n", Answers: map[string]json.RawMessage{"q_1": json.RawMessage(`["a"]`)}},
		"UploadLimits":    limits,
		"Error":           errorBody{Error: errorDetail{Code: "invalid", Message: "m", Field: "f", RequestID: "r"}},
	})
}

// checkSchemas checks each named schema of doc against the JSON of a fully
// populated value: it validates, and its properties are exactly the
// JSON's fields.
func checkSchemas(t *testing.T, doc *openapi3.T, values map[string]any) {
	t.Helper()
	for name, v := range values {
		ref := doc.Components.Schemas[name]
		if ref == nil || ref.Value == nil {
			t.Errorf("schema %s missing", name)
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var generic any
		if err := json.Unmarshal(b, &generic); err != nil {
			t.Fatal(err)
		}
		if err := ref.Value.VisitJSON(generic, openapi3.EnableJSONSchema2020(), openapi3.MultiErrors()); err != nil {
			t.Errorf("%s: %s does not validate: %v", name, b, err)
		}
		fields := slices.Sorted(maps.Keys(generic.(map[string]any)))
		props := slices.Sorted(maps.Keys(ref.Value.Properties))
		if !slices.Equal(fields, props) {
			t.Errorf("schema %s has properties %v; the JSON has fields %v", name, props, fields)
		}
	}
}

// TestOpenAPIServed checks GET /openapi.yaml answers the spec without a login.
func TestOpenAPIServed(t *testing.T) {
	s := New(Deps{Log: zerolog.Nop()})
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi.yaml", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /openapi.yaml: status %d, want 200: %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/yaml" {
		t.Errorf("Content-Type = %q, want application/yaml", ct)
	}
	if rec.Body.String() != string(openapiSpec) {
		t.Error("body is not the embedded openapi.yaml")
	}
}

package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/quizflow/quizflow/internal/client"
	"github.com/quizflow/quizflow/internal/quizflow"
)

func submit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("submit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	port := getenv("PORT")
	if port == "" {
		port = "8080"
	}
	api := fs.String("api", "http://127.0.0.1:"+port, "base URL of the API")
	email := fs.String("email", submitEmail, "account email (registered on first use)")
	password := fs.String("password", submitPassword, "account password")
	count := fs.Int("n", 10, "number of questions")
	types := fs.String("types", "", "question types, comma-separated (default: multiple_choice,true_false,fill_in_blank)")
	difficulty := fs.String("difficulty", "", "easy, medium, hard or mixed")
	language := fs.String("language", "", "ISO 639-1 language of the questions (default en)")
	fresh := fs.Bool("fresh", false, "generate anew even if an identical quiz exists")
	asJSON := fs.Bool("json", false, "print the quiz as JSON")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: quizflow submit [flags] FILE")
		return errUsage
	}
	if *email == "" || *password == "" {
		fmt.Fprintln(stderr, "quizflow submit: -email and -password are required (this build has no dev account)")
		return errUsage
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	c := client.New(*api)
	if _, err := c.Login(ctx, *email, *password); err != nil {
		if client.StatusOf(err) != 401 {
			return fmt.Errorf("log in at %s: %w (is `make run` running?)", *api, err)
		}
		if _, err := c.Register(ctx, *email, *password, "QuizFlow developer"); err != nil {
			return fmt.Errorf("register %s: %w", *email, err)
		}
	}
	fields := map[string]string{"question_count": fmt.Sprint(*count)}
	for k, v := range map[string]string{"question_types": *types, "difficulty": *difficulty, "language": *language} {
		if v != "" {
			fields[k] = v
		}
	}
	if *fresh {
		fields["fresh"] = "true"
	}
	up, err := c.UploadFile(ctx, fs.Arg(0), fields)
	if err != nil {
		return fmt.Errorf("upload: %w", err)
	}
	fmt.Fprintf(stderr, "uploaded %s as %s (%s, %d bytes); job %s\n", fs.Arg(0), up.Document.ID, up.Document.Kind, up.Document.Size, up.Job.ID)
	job, err := c.WaitJob(ctx, up.Job.ID, 300*time.Millisecond, func(j *quizflow.Job) {
		fmt.Fprintf(stderr, "  %-10s %3d%%  %s\n", j.Stage, j.Progress, j.Message)
	})
	if err != nil {
		return fmt.Errorf("follow job: %w", err)
	}
	if job.Status == quizflow.StatusFailed {
		return fmt.Errorf("job failed: %s (%s)", job.Error.Message, job.Error.Code)
	}
	q, err := c.Quiz(ctx, job.Result.QuizID)
	if err != nil {
		return fmt.Errorf("read quiz: %w", err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(q)
	}
	printQuiz(stdout, q)
	return nil
}

// printQuiz writes the quiz for a person, with the answers marked.
func printQuiz(w io.Writer, q *quizflow.Quiz) {
	fmt.Fprintf(w, "\n%s  (%d questions, %s", q.Title, len(q.Questions), q.Usage.Model)
	if q.Usage.PromptTokens+q.Usage.CompletionTokens > 0 {
		fmt.Fprintf(w, ", %d tokens, $%.4f", q.Usage.PromptTokens+q.Usage.CompletionTokens, q.Usage.CostUSD)
	}
	fmt.Fprintf(w, ")\nquiz %s\n", q.ID)
	for _, warn := range q.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	for i, qu := range q.Questions {
		fmt.Fprintf(w, "\n%d. [%s] %s\n", i+1, strings.ReplaceAll(qu.Type, "_", " "), qu.Prompt)
		for _, o := range qu.Options {
			mark := " "
			if o.Correct {
				mark = "*"
			}
			fmt.Fprintf(w, "   %s %s) %s\n", mark, o.ID, o.Text)
		}
		for _, p := range qu.Pairs {
			fmt.Fprintf(w, "     %s -> %s\n", p.Left, p.Right)
		}
		if len(qu.Options) == 0 && len(qu.Answers) > 0 {
			fmt.Fprintf(w, "   answer: %s\n", strings.Join(qu.Answers, " | "))
		}
		fmt.Fprintf(w, "   source: page %d, %q\n", qu.Source.Page, qu.Source.Quote)
	}
}

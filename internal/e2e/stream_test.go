package e2e_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/fakeopenai"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// TestJobEvents follows a job over Server-Sent Events from upload to the
// finished quiz: stages arrive in order and the stream ends by itself.
func TestJobEvents(t *testing.T) {
	// A model that takes a while to answer keeps the job visibly in
	// progress for a few of the stream's polls.
	fake := fakeopenai.New()
	defer fake.Close()
	fake.SetScript(fakeopenai.Always(fakeopenai.KindQuestions, fakeopenai.Action{Delay: 300 * time.Millisecond}))
	s := setup(t, withModel(fake))
	c := s.user("Stella")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	up, err := c.UploadFile(ctx, fixture(t, "libreoffice-handbook-10p.pdf"), nil)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, "GET", s.url+"/v1/jobs/"+up.Job.ID+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var events []quizflow.Job
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	event := ""
	for sc.Scan() { // ends when the server closes the stream
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: ") && event == "job":
			var j quizflow.Job
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &j); err != nil {
				t.Fatal(err)
			}
			events = append(events, j)
		}
	}
	if len(events) == 0 {
		t.Fatal("no events")
	}
	final := events[len(events)-1]
	if final.Status != quizflow.StatusSucceeded || final.Stage != quizflow.StageDone || final.Result.QuizID == "" {
		t.Fatalf("last event = %+v", final)
	}
	// Stages follow the documented order, skipping any the stream polled
	// past; status and progress never go back.
	stageOrder := []string{quizflow.StageQueued, quizflow.StageExtracting, quizflow.StageGenerating, quizflow.StageSaving, quizflow.StageDone}
	statusOrder := []string{quizflow.StatusQueued, quizflow.StatusRunning, quizflow.StatusSucceeded}
	var stages []string
	for i, e := range events {
		if !slices.Contains(stageOrder, e.Stage) || !slices.Contains(statusOrder, e.Status) {
			t.Fatalf("event %d: stage %q status %q, want a quiz job's stage and a status of a job that succeeds", i, e.Stage, e.Status)
		}
		if len(stages) == 0 || stages[len(stages)-1] != e.Stage {
			stages = append(stages, e.Stage)
		}
		if i == 0 {
			continue
		}
		prev := events[i-1]
		if slices.Index(stageOrder, e.Stage) < slices.Index(stageOrder, prev.Stage) {
			t.Errorf("stage went back: %s then %s (stages seen %v)", prev.Stage, e.Stage, stages)
		}
		if slices.Index(statusOrder, e.Status) < slices.Index(statusOrder, prev.Status) {
			t.Errorf("status went back: %s then %s", prev.Status, e.Status)
		}
		if e.Progress < prev.Progress {
			t.Errorf("progress went back: %d then %d", prev.Progress, e.Progress)
		}
	}
	if len(stages) < 2 {
		t.Errorf("stages seen %v, want at least two: the stream showed no progress, only the end", stages)
	}
	// Another user's job, and an unknown one, are 404 before any stream.
	other := s.user("Sneak")
	if code, _, _ := raw(t, "GET", s.url+"/v1/jobs/"+up.Job.ID+"/events", other.Token, nil, nil); code != 404 {
		t.Errorf("other user's job events = %d, want 404", code)
	}
}

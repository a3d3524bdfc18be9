package e2e_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// TestJobEvents follows a job over Server-Sent Events from upload to the
// finished quiz: stages arrive in order and the stream ends by itself.
func TestJobEvents(t *testing.T) {
	s := setup(t)
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
	if final.Status != quizflow.StatusSucceeded || final.Result.QuizID == "" {
		t.Fatalf("last event = %+v", final)
	}
	for i := 1; i < len(events); i++ {
		if events[i].Progress < events[i-1].Progress {
			t.Errorf("progress went back: %d then %d", events[i-1].Progress, events[i].Progress)
		}
	}
	// Another user's job, and an unknown one, are 404 before any stream.
	other := s.user("Sneak")
	if code, _, _ := raw(t, "GET", s.url+"/v1/jobs/"+up.Job.ID+"/events", other.Token, nil, nil); code != 404 {
		t.Errorf("other user's job events = %d, want 404", code)
	}
}

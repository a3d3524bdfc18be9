// Package client is a small Go client of QuizFlow's HTTP API, used by the
// `quizflow submit` command and by end-to-end tests.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Client calls the API at BaseURL as the user of Token.
type Client struct {
	BaseURL string
	Token   string
	HTTP    *http.Client
}

// New returns a client of the API at baseURL.
func New(baseURL string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), HTTP: &http.Client{Timeout: 2 * time.Minute}}
}

// APIError is an error response of the API.
type APIError struct {
	Status    int
	Code      string `json:"code"`
	Message   string `json:"message"`
	Field     string `json:"field"`
	RequestID string `json:"request_id"`
}

func (e *APIError) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// StatusOf returns the HTTP status of an *APIError, or 0.
func StatusOf(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

// Do sends a request with an optional JSON body and decodes a JSON answer
// into out (if not nil).
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, r)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.send(req, out)
}

func (c *Client) send(req *http.Request, out any) error {
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 400 {
		var eb struct {
			Error APIError `json:"error"`
		}
		_ = json.Unmarshal(b, &eb)
		eb.Error.Status = resp.StatusCode
		return &eb.Error
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("decode %s %s: %w", req.Method, req.URL.Path, err)
		}
	}
	return nil
}

// Register creates an account and keeps its access token.
func (c *Client) Register(ctx context.Context, email, password, name string) (*quizflow.Session, error) {
	var s quizflow.Session
	if err := c.Do(ctx, http.MethodPost, "/v1/auth/register", map[string]string{"email": email, "password": password, "name": name}, &s); err != nil {
		return nil, err
	}
	c.Token = s.AccessToken
	return &s, nil
}

// Login logs in and keeps the access token.
func (c *Client) Login(ctx context.Context, email, password string) (*quizflow.Session, error) {
	var s quizflow.Session
	if err := c.Do(ctx, http.MethodPost, "/v1/auth/login", map[string]string{"email": email, "password": password}, &s); err != nil {
		return nil, err
	}
	c.Token = s.AccessToken
	return &s, nil
}

// Upload is the answer to a document upload.
type Upload struct {
	Document quizflow.Document `json:"document"`
	Job      quizflow.Job      `json:"job"`
}

// UploadFile uploads the file at path with form fields (question_count, ...),
// streaming it from disk.
func (c *Client) UploadFile(ctx context.Context, path string, fields map[string]string) (*Upload, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return c.UploadReader(ctx, filepath.Base(path), f, fields)
}

// UploadReader uploads r as a file named name, streaming it.
func (c *Client) UploadReader(ctx context.Context, name string, r io.Reader, fields map[string]string) (*Upload, error) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		err := func() error {
			for k, v := range fields {
				if err := mw.WriteField(k, v); err != nil {
					return err
				}
			}
			fw, err := mw.CreateFormFile("file", name)
			if err != nil {
				return err
			}
			if _, err := io.Copy(fw, r); err != nil {
				return err
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+"/v1/documents", pr)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	var u Upload
	if err := c.send(req, &u); err != nil {
		pr.CloseWithError(err)
		return nil, err
	}
	return &u, nil
}

// Job returns job id.
func (c *Client) Job(ctx context.Context, id string) (*quizflow.Job, error) {
	var j quizflow.Job
	return &j, c.Do(ctx, http.MethodGet, "/v1/jobs/"+id, nil, &j)
}

// Quiz returns quiz id.
func (c *Client) Quiz(ctx context.Context, id string) (*quizflow.Quiz, error) {
	var q quizflow.Quiz
	return &q, c.Do(ctx, http.MethodGet, "/v1/quizzes/"+id, nil, &q)
}

// WaitJob polls job id every interval until it finishes or ctx ends,
// calling onUpdate (if set) whenever its stage, progress or message moves.
func (c *Client) WaitJob(ctx context.Context, id string, interval time.Duration, onUpdate func(*quizflow.Job)) (*quizflow.Job, error) {
	last := ""
	for {
		j, err := c.Job(ctx, id)
		if err != nil {
			return nil, err
		}
		if key := j.Status + j.Stage + strconv.Itoa(j.Progress) + j.Message; key != last && onUpdate != nil {
			last = key
			onUpdate(j)
		}
		if j.Status == quizflow.StatusSucceeded || j.Status == quizflow.StatusFailed {
			return j, nil
		}
		select {
		case <-ctx.Done():
			return j, ctx.Err()
		case <-time.After(interval):
		}
	}
}

package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	openai "github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/quizflow/quizflow/internal/generate"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/tracing"
)

// structured sends messages with a strict JSON-schema response format and
// decodes the reply into v (a pointer to a struct whose top-level array
// field is a pointer, so a missing array is told from an empty one), with
// check validating the decoded shape. Malformed replies are repaired or
// re-asked RepairRetries times with the error; after that the error wraps
// generate.ErrBadOutput. Transient HTTP failures are retried inside call.
// onCall, if set, is told each answered call's usage as soon as it is
// answered, before the reply is parsed: the tokens are spent whatever
// happens next.
func (c *Client) structured(ctx context.Context, msgs []openai.ChatCompletionMessage, name string, schema json.RawMessage, newV func() any, check func(any) error, onCall func(quizflow.Usage)) (any, quizflow.Usage, error) {
	usage := quizflow.Usage{Model: c.cfg.Model}
	var lastErr error
	for round := 0; ; round++ {
		resp, err := c.call(ctx, openai.ChatCompletionRequest{
			Model:    c.cfg.Model,
			Messages: msgs,
			ResponseFormat: &openai.ChatCompletionResponseFormat{
				Type: openai.ChatCompletionResponseFormatTypeJSONSchema,
				JSONSchema: &openai.ChatCompletionResponseFormatJSONSchema{
					Name:   name,
					Strict: true,
					Schema: schema,
				},
			},
			MaxCompletionTokens: c.cfg.MaxOutputTokens,
		})
		if err != nil {
			return nil, usage, err
		}
		one := quizflow.Usage{Model: c.cfg.Model, Calls: 1, PromptTokens: resp.Usage.PromptTokens, CompletionTokens: resp.Usage.CompletionTokens}
		usage.Add(one)
		if onCall != nil {
			onCall(one)
		}
		content, perr := replyContent(resp)
		if perr == nil {
			v := newV()
			if _, perr = decodeRepaired(content, v); perr == nil {
				if perr = check(v); perr == nil {
					return v, usage, nil
				}
			}
		}
		lastErr = perr
		if round >= c.cfg.RepairRetries || c.cfg.RepairRetries < 0 {
			return nil, usage, fmt.Errorf("%w: %s after %d attempts: %v", generate.ErrBadOutput, name, round+1, lastErr)
		}
		// Re-ask with the error, keeping the conversation so the model sees
		// what it wrote. Long replies are cut: the error is what matters.
		if len(content) > 4000 {
			content = content[:4000]
		}
		msgs = append(msgs[:len(msgs):len(msgs)],
			openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: content},
			openai.ChatCompletionMessage{Role: openai.ChatMessageRoleUser, Content: fmt.Sprintf(
				"Your reply could not be used: %v. Reply again with only one complete JSON object that matches the response schema.", lastErr)},
		)
	}
}

// replyContent returns the text of the first choice, or why there is none.
func replyContent(resp openai.ChatCompletionResponse) (string, error) {
	if len(resp.Choices) == 0 {
		return "", errors.New("the reply had no choices")
	}
	m := resp.Choices[0].Message
	if m.Refusal != "" {
		return "", fmt.Errorf("the model refused: %s", m.Refusal)
	}
	if m.Content == "" {
		return "", errors.New("the reply was empty")
	}
	return m.Content, nil
}

// call makes one chat completion with the rate limit, a per-call timeout
// and retries of transient failures. The pause before a retry is the
// server's Retry-After when it gave one (never less), else exponential
// backoff with jitter. A refusal (400, 401, 403, 404) is returned at once
// as a *generate.RefusedError; a transient failure that outlasts the
// retries wraps generate.ErrUnavailable.
func (c *Client) call(ctx context.Context, req openai.ChatCompletionRequest) (resp openai.ChatCompletionResponse, err error) {
	// One span per model call, retries included; it names the model and
	// counts attempts and tokens, never the prompt or the answer.
	ctx, span := tracing.Start(ctx, "llm.chat_completion", trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("gen_ai.request.model", req.Model)))
	attempts := 0
	defer func() {
		span.SetAttributes(attribute.Int("quizflow.llm.attempts", attempts),
			attribute.Int("gen_ai.usage.input_tokens", resp.Usage.PromptTokens),
			attribute.Int("gen_ai.usage.output_tokens", resp.Usage.CompletionTokens))
		tracing.End(span, err)
	}()
	est := 0
	for _, m := range req.Messages {
		est += c.tok.Count(m.Content) + 4
	}
	est += 200 + c.cfg.MaxOutputTokens
	for attempt := 0; ; attempt++ {
		if c.cfg.Limiter != nil {
			if err := c.cfg.Limiter.Wait(ctx, est); err != nil {
				return openai.ChatCompletionResponse{}, fmt.Errorf("llm: rate limit: %w", err)
			}
		}
		attempts++
		slot := &retryAfterSlot{}
		callCtx, cancel := context.WithTimeout(context.WithValue(ctx, retryAfterKey{}, slot), c.cfg.Timeout)
		resp, err := c.oc.CreateChatCompletion(callCtx, req)
		cancel()
		if err == nil {
			return resp, nil
		}
		if ctx.Err() != nil {
			return resp, ctx.Err()
		}
		if rf := refused(err); rf != nil {
			return resp, rf
		}
		if !transient(err) {
			return resp, fmt.Errorf("llm: chat completion: %w", err)
		}
		if attempt >= c.cfg.MaxRetries || c.cfg.MaxRetries < 0 {
			return resp, fmt.Errorf("llm: chat completion (%d attempts): %w: %w", attempt+1, generate.ErrUnavailable, err)
		}
		wait := backoff(attempt, c.cfg.MaxBackoff)
		if ra, ok := slot.get(); ok {
			if ra > c.cfg.MaxRetryAfter {
				return resp, &RetryAfterError{After: ra, Err: fmt.Errorf("llm: server asked to retry after %v: %w: %w", ra, generate.ErrUnavailable, err)}
			}
			// Retry-After is a lower bound: add a little jitter above it.
			wait = ra + time.Duration(float64(wait)*0.1)
		}
		if err := sleep(ctx, wait); err != nil {
			return resp, err
		}
	}
}

// RetryAfterError is a transient failure (it wraps generate.ErrUnavailable)
// whose server asked for a wait longer than the client holds a worker for;
// the task queue retries it after that wait (the worker's retry delay
// honours RetryAfter).
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryAfter is how long the server asked to wait.
func (e *RetryAfterError) RetryAfter() time.Duration { return e.After }

package app

import (
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/quizflow/quizflow/internal/config"
	"github.com/quizflow/quizflow/internal/generate"
	"github.com/quizflow/quizflow/internal/llm"
	"github.com/quizflow/quizflow/internal/offline"
	"github.com/quizflow/quizflow/internal/ratelimit"
	"github.com/quizflow/quizflow/internal/rediscache"
)

// chunkCacheTTL keeps finished chunks long enough for every retry of a task.
const chunkCacheTTL = 24 * time.Hour

// offlineOnly reports whether no model is configured, so generation uses
// the built-in offline generator.
func offlineOnly(cfg *config.Config) bool { return cfg.OpenAIKey == "" && cfg.OpenAIBaseURL == "" }

// generatorTypes returns the question types the configured generator can
// write (nil: all of them).
func generatorTypes(cfg *config.Config) []string {
	if offlineOnly(cfg) {
		return offline.Types()
	}
	return nil
}

// newGenerator builds the generation pipeline: the OpenAI-compatible model
// when OPENAI_API_KEY or OPENAI_BASE_URL is set, else the built-in offline
// generator. Both go through the same checks.
func newGenerator(cfg *config.Config, rdb redis.UniversalClient, log zerolog.Logger, responses llm.ResponseObserver) (generate.Generator, error) {
	pc := generate.Config{Cache: rediscache.New(rdb, "quizflow:chunks:", chunkCacheTTL)}
	if offlineOnly(cfg) {
		pc.Model = offline.Model{}
		log.Info().Msg("generation: offline generator (no OPENAI_API_KEY)")
		return generate.New(pc)
	}
	client, err := llm.New(llm.Config{
		APIKey: cfg.OpenAIKey, BaseURL: cfg.OpenAIBaseURL, Model: cfg.OpenAIModel,
		Azure: cfg.OpenAIAzure, APIVersion: cfg.OpenAIAPIVersion,
		Timeout: cfg.OpenAITimeout, MaxRetries: llmRetries(cfg.OpenAIMaxRetries),
		Responses: responses,
		Limiter: ratelimit.New(rdb, ratelimit.Config{
			RequestsPerMinute: cfg.LLMRequestsPerMinute, TokensPerMinute: cfg.LLMTokensPerMinute,
		}),
	})
	if err != nil {
		return nil, err
	}
	pc.Model, pc.AnswerCheck = client, cfg.AnswerCheck
	log.Info().Str("model", cfg.OpenAIModel).Str("base_url", cfg.OpenAIBaseURL).Bool("answer_check", cfg.AnswerCheck).Msg("generation: OpenAI-compatible model")
	return generate.New(pc)
}

// llmRetries maps OPENAI_MAX_RETRIES to llm.Config.MaxRetries, where 0
// means "default" and a negative value means none.
func llmRetries(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

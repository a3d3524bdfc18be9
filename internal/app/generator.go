package app

import (
	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/quizflow/quizflow/internal/config"
	"github.com/quizflow/quizflow/internal/generate"
)

// newGenerator builds the generation pipeline: the OpenAI-compatible model
// when OPENAI_API_KEY is set, else the built-in offline generator.
func newGenerator(cfg *config.Config, rdb redis.UniversalClient, log zerolog.Logger) (generate.Generator, error) {
	return nil, nil // wired once the pipeline lands
}

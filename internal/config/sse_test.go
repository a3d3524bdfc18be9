package config

import "testing"

func TestSSEMaxPerUser(t *testing.T) {
	for _, tt := range []struct {
		name    string
		env     map[string]string
		want    int
		wantErr string
	}{
		{"default", map[string]string{}, 10, ""},
		{"set", map[string]string{"SSE_MAX_PER_USER": "3"}, 3, ""},
		{"off", map[string]string{"SSE_MAX_PER_USER": "off"}, 0, ""},
		{"negative", map[string]string{"SSE_MAX_PER_USER": "-1"}, 0, "SSE_MAX_PER_USER must be between 0 (off) and 1000"},
		{"too many", map[string]string{"SSE_MAX_PER_USER": "1001"}, 0, "SSE_MAX_PER_USER must be between 0 (off) and 1000"},
		{"not a number", map[string]string{"SSE_MAX_PER_USER": "lots"}, 0, `SSE_MAX_PER_USER must be an integer, not "lots"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := load(t, tt.env, tt.wantErr)
			if c != nil && c.SSEMaxPerUser != tt.want {
				t.Errorf("SSEMaxPerUser = %d, want %d", c.SSEMaxPerUser, tt.want)
			}
		})
	}
}

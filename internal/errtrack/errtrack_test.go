package errtrack

import "testing"

func TestScrub(t *testing.T) {
	for in, want := range map[string]string{
		`read "Ferns reproduce with spores" failed`:                                   `read "[redacted]" failed`,
		"login of alice@example.com refused":                                          "login of [email] refused",
		"auth: Bearer abc.def-ghi refused":                                            "auth: Bearer [redacted] refused",
		"token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c3IifQ.c2lnbmF0dXJl seen":             "token [jwt] seen",
		"dial mongodb://user:hunter2@db:27017: refused":                               "dial mongodb://[redacted]@db:27017: refused",
		"status: 401 Unauthorized, message: Incorrect API key provided: sk-test. See": "status: 401 Unauthorized, message: [redacted]",
		"key sk-proj-abcdef rejected":                                                 "key [key] rejected",
		"session 0123456789abcdef0123456789abcdef0123 gone":                           "session [redacted] gone",
		"job job_4dtz74nxoxbck7vy4ako2ogg failed":                                     "job job_4dtz74nxoxbck7vy4ako2ogg failed",
	} {
		if got := Scrub(in); got != want {
			t.Errorf("Scrub(%q)\n got %q\nwant %q", in, got, want)
		}
	}
	long := make([]byte, 2*MaxMessage)
	for i := range long {
		long[i] = 'a' + byte(i%7) // not one long run: spaces every 7
		if i%7 == 6 {
			long[i] = ' '
		}
	}
	if got := Scrub(string(long)); len(got) > MaxMessage+len("…") {
		t.Errorf("Scrub kept %d bytes, bound %d", len(got), MaxMessage)
	}
}

func TestNewOff(t *testing.T) {
	tr, err := New(Config{})
	if err != nil || tr != nil {
		t.Fatalf("New without DSN = %v, %v; want nil, nil", tr, err)
	}
	// A nil Tracker is usable and reports nothing.
	tr.ReportHTTP(t.Context(), Request{Status: 500}, nil, false)
	tr.ReportTask(t.Context(), Task{}, nil, false)
	if !tr.Flush(0) {
		t.Error("nil Flush")
	}
	tr.Close()
	if _, err := New(Config{DSN: "::not a dsn"}); err == nil {
		t.Error("a malformed DSN was accepted")
	}
}

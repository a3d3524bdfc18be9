package jobs

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var updateQueues = flag.Bool("update-queues", false, "rewrite deploy/k8s/queues.txt from Queues")

// queuesFile is the list of queue names the Kubernetes manifests scale on:
// deploy/check (its own module, importing nothing from this one) checks
// that the KEDA triggers name exactly these queues.
var queuesFile = filepath.Join("..", "deploy", "k8s", "queues.txt")

// TestQueuesFile: deploy/k8s/queues.txt lists Queues' names, one a line,
// sorted. A new queue fails here until the file (and so the ScaledObject's
// triggers, checked by deploy/check) is updated:
// `go test ./jobs -run TestQueuesFile -update-queues`.
func TestQueuesFile(t *testing.T) {
	names := make([]string, 0, len(Queues))
	for q := range Queues {
		names = append(names, q)
	}
	slices.Sort(names)
	want := "# Written by `go test ./jobs -run TestQueuesFile -update-queues` from jobs.Queues.\n" +
		strings.Join(names, "\n") + "\n"
	if *updateQueues {
		if err := os.WriteFile(queuesFile, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(queuesFile)
	if err != nil {
		t.Fatalf("%v (run with -update-queues to write it)", err)
	}
	if string(got) != want {
		t.Errorf("%s differs from jobs.Queues (-update-queues rewrites it)\n got:\n%s\nwant:\n%s", queuesFile, got, want)
	}
}

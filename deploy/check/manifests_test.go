package check

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// root is the main module's directory, seen from deploy/check.
var root = filepath.Join("..", "..")

var k8sDir = filepath.Join(root, "deploy", "k8s")

// bundle is every decoded manifest of deploy/k8s, by kind.
type bundle struct {
	all         []Object
	kustomize   *Kustomization
	deployments map[string]*appsv1.Deployment
	services    []*corev1.Service
	configMaps  map[string]*corev1.ConfigMap
	hpas        []*autoscalingv2.HorizontalPodAutoscaler
	pdbs        []*policyv1.PodDisruptionBudget
	policies    []*networkingv1.NetworkPolicy
	scaled      []*ScaledObject
	triggerAuth map[string]*TriggerAuthentication
}

// load decodes every YAML file of deploy/k8s strictly; any error fails t.
func load(t *testing.T) *bundle {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(k8sDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s (%v)", k8sDir, err)
	}
	b := &bundle{deployments: map[string]*appsv1.Deployment{}, configMaps: map[string]*corev1.ConfigMap{}, triggerAuth: map[string]*TriggerAuthentication{}}
	for _, f := range files {
		objs, err := DecodeFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if len(objs) == 0 {
			t.Fatalf("%s has no document", f)
		}
		b.all = append(b.all, objs...)
	}
	seen := map[string]string{}
	for _, o := range b.all {
		if k, ok := o.Value.(*Kustomization); ok {
			if b.kustomize != nil {
				t.Fatalf("two Kustomizations")
			}
			b.kustomize = k
			continue
		}
		key := o.Kind + "/" + o.Meta().GetName()
		if prev, dup := seen[key]; dup {
			t.Errorf("%s defined in %s and %s", key, prev, o.File)
		}
		seen[key] = o.File
		switch v := o.Value.(type) {
		case *appsv1.Deployment:
			b.deployments[v.Name] = v
		case *corev1.Service:
			b.services = append(b.services, v)
		case *corev1.ConfigMap:
			b.configMaps[v.Name] = v
		case *autoscalingv2.HorizontalPodAutoscaler:
			b.hpas = append(b.hpas, v)
		case *policyv1.PodDisruptionBudget:
			b.pdbs = append(b.pdbs, v)
		case *networkingv1.NetworkPolicy:
			b.policies = append(b.policies, v)
		case *ScaledObject:
			b.scaled = append(b.scaled, v)
		case *TriggerAuthentication:
			b.triggerAuth[v.Name] = v
		}
	}
	if b.kustomize == nil {
		t.Fatal("deploy/k8s has no kustomization.yaml")
	}
	return b
}

// TestStrictDecodingRejects: the decoder the other tests rely on refuses
// a misspelled field, a field of the wrong type, a duplicated field and a
// kind it does not know, in the Kubernetes and in the KEDA types.
func TestStrictDecodingRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"misspelled field": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  strategy:\n    rollingUpdate: {maxUnavailabel: 0}\n",
		"wrong type":       "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicas: two}\n",
		"duplicate field":  "apiVersion: v1\nkind: Service\nmetadata: {name: x}\nmetadata: {name: y}\n",
		"unknown kind":     "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: x}\n",
		"keda field":       "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: x}\nspec:\n  scaleTargetRef: {name: w}\n  minReplicas: 1\n  triggers: []\n",
		"keda trigger":     "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: x}\nspec:\n  scaleTargetRef: {name: w}\n  triggers:\n    - {type: redis, metadata: {listName: a}, auth: {name: b}}\n",
		"keda auth":        "apiVersion: keda.sh/v1alpha1\nkind: TriggerAuthentication\nmetadata: {name: x}\nspec:\n  secretTargetRef:\n    - {parameter: address, secret: s, key: k}\n",
	} {
		if _, _, err := Decode([]byte(doc)); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
	if kind, v, err := Decode([]byte("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicas: 2}\n")); err != nil || kind != "Deployment" || *v.(*appsv1.Deployment).Spec.Replicas != 2 {
		t.Errorf("a valid Deployment: %s %v %v", kind, v, err)
	}
}

// TestKustomization: kustomization.yaml lists every manifest file and only
// those, names no namespace (kubectl -n or an overlay chooses it), and
// rewrites the image the Deployments use.
func TestKustomization(t *testing.T) {
	b := load(t)
	files, _ := filepath.Glob(filepath.Join(k8sDir, "*.yaml"))
	var want []string
	for _, f := range files {
		if base := filepath.Base(f); base != "kustomization.yaml" {
			want = append(want, base)
		}
	}
	got := slices.Clone(b.kustomize.Resources)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("kustomization resources %v, want the manifest files %v", got, want)
	}
	if b.kustomize.Namespace != "" {
		t.Errorf("kustomization sets namespace %q; the manifests are namespace-agnostic", b.kustomize.Namespace)
	}
	for _, o := range b.all {
		if m := o.Meta(); m != nil && m.GetNamespace() != "" {
			t.Errorf("%s %s names namespace %q", o.Kind, m.GetName(), m.GetNamespace())
		}
	}
	images := map[string]bool{}
	for _, im := range b.kustomize.Images {
		images[im.Name] = true
	}
	for name, d := range b.deployments {
		for _, c := range d.Spec.Template.Spec.Containers {
			if !images[c.Image] {
				t.Errorf("deployment %s container %s: image %q is not rewritten by the kustomization's images", name, c.Name, c.Image)
			}
		}
	}
}

// TestDeployments: every Deployment rolls one pod at a time without losing
// capacity, spreads its pods, and runs every container non-root on a
// read-only root filesystem with no capabilities, the default seccomp
// profile, requests and limits, and an emptyDir at /tmp (TMPDIR).
func TestDeployments(t *testing.T) {
	b := load(t)
	for _, role := range []string{"quizflow-api", "quizflow-worker", "quizflow-scheduler"} {
		if b.deployments[role] == nil {
			t.Errorf("no Deployment %s", role)
		}
	}
	for name, d := range b.deployments {
		sel, err := metav1LabelSelector(d)
		if err != nil {
			t.Errorf("deployment %s: %v", name, err)
			continue
		}
		pod := d.Spec.Template
		if !sel.Matches(labels.Set(pod.Labels)) {
			t.Errorf("deployment %s: selector does not match its pod labels", name)
		}
		s := d.Spec.Strategy
		if s.Type != appsv1.RollingUpdateDeploymentStrategyType || s.RollingUpdate == nil ||
			s.RollingUpdate.MaxUnavailable == nil || s.RollingUpdate.MaxUnavailable.String() != "0" ||
			s.RollingUpdate.MaxSurge == nil || s.RollingUpdate.MaxSurge.String() != "1" {
			t.Errorf("deployment %s: strategy %+v, want RollingUpdate maxUnavailable 0 maxSurge 1", name, s)
		}
		ps := pod.Spec
		if ps.SecurityContext == nil || ps.SecurityContext.RunAsNonRoot == nil || !*ps.SecurityContext.RunAsNonRoot ||
			ps.SecurityContext.SeccompProfile == nil || ps.SecurityContext.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("deployment %s: pod securityContext %+v, want runAsNonRoot and seccomp RuntimeDefault", name, ps.SecurityContext)
		}
		if len(ps.TopologySpreadConstraints) == 0 {
			t.Errorf("deployment %s: no topologySpreadConstraints", name)
		}
		for _, tsc := range ps.TopologySpreadConstraints {
			ts, err := labelSelector(tsc.LabelSelector)
			if err != nil || !ts.Matches(labels.Set(pod.Labels)) {
				t.Errorf("deployment %s: topology spread on %s does not select its own pods (%v)", name, tsc.TopologyKey, err)
			}
		}
		tmpVolumes := map[string]bool{}
		for _, v := range ps.Volumes {
			if v.EmptyDir != nil {
				tmpVolumes[v.Name] = true
			}
		}
		if len(ps.Containers) == 0 {
			t.Errorf("deployment %s: no containers", name)
		}
		for _, c := range ps.Containers {
			where := fmt.Sprintf("deployment %s container %s", name, c.Name)
			for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				if q, ok := c.Resources.Requests[res]; !ok || q.IsZero() {
					t.Errorf("%s: no %s request", where, res)
				}
				if q, ok := c.Resources.Limits[res]; !ok || q.IsZero() {
					t.Errorf("%s: no %s limit", where, res)
				} else if r := c.Resources.Requests[res]; q.Cmp(r) < 0 {
					t.Errorf("%s: %s limit %s below its request %s", where, res, q.String(), r.String())
				}
			}
			sc := c.SecurityContext
			switch {
			case sc == nil:
				t.Errorf("%s: no securityContext", where)
			case sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem:
				t.Errorf("%s: root filesystem not read-only", where)
			case sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation:
				t.Errorf("%s: allowPrivilegeEscalation not false", where)
			case sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0:
				t.Errorf("%s: capabilities %+v, want drop [ALL] and no add", where, sc.Capabilities)
			case sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot:
				t.Errorf("%s: runAsNonRoot not set on the container", where)
			case sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault:
				t.Errorf("%s: seccomp profile not RuntimeDefault", where)
			case sc.Privileged != nil && *sc.Privileged:
				t.Errorf("%s: privileged", where)
			}
			tmp := false
			for _, m := range c.VolumeMounts {
				if m.MountPath == "/tmp" && tmpVolumes[m.Name] {
					tmp = true
				}
			}
			if !tmp {
				t.Errorf("%s: no emptyDir mounted at /tmp (TMPDIR on a read-only root)", where)
			}
			for _, ef := range c.EnvFrom {
				if ef.ConfigMapRef != nil && b.configMaps[ef.ConfigMapRef.Name] == nil {
					t.Errorf("%s: envFrom ConfigMap %s is not in deploy/k8s", where, ef.ConfigMapRef.Name)
				}
			}
		}
	}
}

// TestRoles: each Deployment runs the image's one binary (its entrypoint,
// quizflow: no command) with its role as the only argument.
func TestRoles(t *testing.T) {
	b := load(t)
	for name, role := range map[string]string{"quizflow-api": "api", "quizflow-worker": "worker", "quizflow-scheduler": "scheduler"} {
		d := b.deployments[name]
		if d == nil {
			t.Errorf("no Deployment %s", name)
			continue
		}
		cs := d.Spec.Template.Spec.Containers
		if len(cs) != 1 {
			t.Errorf("deployment %s has %d containers, want 1", name, len(cs))
			continue
		}
		if c := cs[0]; len(c.Command) > 0 || !slices.Equal(c.Args, []string{role}) {
			t.Errorf("deployment %s container %s: command %q args %q, want no command (the image's quizflow) and args [%s]", name, c.Name, c.Command, c.Args, role)
		}
	}
}

// TestReplicaOwnership: a Deployment an autoscaler (HPA or KEDA) scales
// sets no replicas of its own, and the scheduler runs exactly one.
func TestReplicaOwnership(t *testing.T) {
	b := load(t)
	scaled := map[string]string{}
	for _, h := range b.hpas {
		scaled[h.Spec.ScaleTargetRef.Name] = "HPA " + h.Name
	}
	for _, so := range b.scaled {
		if prev, ok := scaled[so.Spec.ScaleTargetRef.Name]; ok {
			t.Errorf("deployment %s scaled by both %s and ScaledObject %s", so.Spec.ScaleTargetRef.Name, prev, so.Name)
		}
		scaled[so.Spec.ScaleTargetRef.Name] = "ScaledObject " + so.Name
	}
	for name, d := range b.deployments {
		if by, ok := scaled[name]; ok && d.Spec.Replicas != nil {
			t.Errorf("deployment %s sets replicas %d though %s scales it (each apply would reset the count)", name, *d.Spec.Replicas, by)
		}
	}
	if s := b.deployments["quizflow-scheduler"]; s != nil && (s.Spec.Replicas == nil || *s.Spec.Replicas != 1) {
		t.Errorf("scheduler replicas %v, want 1 (see the comment in scheduler.yaml)", s.Spec.Replicas)
	}
}

// TestAPIPod: the API has startup, liveness and readiness probes on its
// port, a preStop sleep, and a grace period longer than the preStop sleep
// plus the HTTP server's shutdown grace (read from internal/httpapi) plus
// 5 s for closing connections.
func TestAPIPod(t *testing.T) {
	b := load(t)
	d := b.deployments["quizflow-api"]
	if d == nil {
		t.Fatal("no Deployment quizflow-api")
	}
	c := d.Spec.Template.Spec.Containers[0]
	for name, p := range map[string]*corev1.Probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe, "startup": c.StartupProbe} {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("api: no HTTP %s probe", name)
			continue
		}
		if !containerHasPort(c, p.HTTPGet.Port.String()) {
			t.Errorf("api: %s probe port %s is not a container port", name, p.HTTPGet.Port.String())
		}
	}
	if c.ReadinessProbe != nil && c.ReadinessProbe.HTTPGet != nil && c.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("api readiness path %s, want /readyz", c.ReadinessProbe.HTTPGet.Path)
	}
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
		t.Fatal("api: no preStop sleep (distroless has no shell for an exec sleep)")
	}
	sleep := c.Lifecycle.PreStop.Sleep.Seconds
	httpGrace := sourceSeconds(t, "internal/httpapi/server.go", `serve\.Run\(ctx, srv, (\d+) ?\* ?time\.Second`)
	grace := d.Spec.Template.Spec.TerminationGracePeriodSeconds
	if sleep < 5 {
		t.Errorf("api preStop sleep %d s: too short for endpoints to drain", sleep)
	}
	if grace == nil || int64(*grace) <= sleep+httpGrace+5 {
		t.Errorf("api terminationGracePeriodSeconds %v, want more than preStop %d + HTTP shutdown %d + 5", grace, sleep, httpGrace)
	}
}

// TestWorkerGrace: the worker's grace period outlasts asynq's shutdown
// timeout (read from internal/worker), so running tasks finish or are
// handed back before SIGKILL.
func TestWorkerGrace(t *testing.T) {
	b := load(t)
	d := b.deployments["quizflow-worker"]
	if d == nil {
		t.Fatal("no Deployment quizflow-worker")
	}
	shutdown := sourceSeconds(t, "internal/worker/worker.go", `ShutdownTimeout:\s+(\d+) ?\* ?time\.Second`)
	if g := d.Spec.Template.Spec.TerminationGracePeriodSeconds; g == nil || int64(*g) <= shutdown+5 {
		t.Errorf("worker terminationGracePeriodSeconds %v, want more than asynq's ShutdownTimeout %d s + 5", g, shutdown)
	}
}

// TestHPA: the API's HPA scales on CPU from at least 2 replicas.
func TestHPA(t *testing.T) {
	b := load(t)
	found := false
	for _, h := range b.hpas {
		ref := h.Spec.ScaleTargetRef
		if ref.Kind != "Deployment" || b.deployments[ref.Name] == nil {
			t.Errorf("HPA %s targets %s %s, not a Deployment here", h.Name, ref.Kind, ref.Name)
			continue
		}
		if ref.Name != "quizflow-api" {
			continue
		}
		found = true
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 2 || h.Spec.MaxReplicas < *h.Spec.MinReplicas {
			t.Errorf("HPA %s: replicas %v..%d, want min >= 2 <= max", h.Name, h.Spec.MinReplicas, h.Spec.MaxReplicas)
		}
		cpu := false
		for _, m := range h.Spec.Metrics {
			if m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource != nil && m.Resource.Name == corev1.ResourceCPU &&
				m.Resource.Target.AverageUtilization != nil && *m.Resource.Target.AverageUtilization > 0 {
				cpu = true
			}
		}
		if !cpu {
			t.Errorf("HPA %s has no CPU utilization target", h.Name)
		}
	}
	if !found {
		t.Error("no HPA targets quizflow-api")
	}
}

// TestPDBs: every PodDisruptionBudget selects the pods of exactly one
// Deployment, and every Deployment of more than one replica has one.
func TestPDBs(t *testing.T) {
	b := load(t)
	covered := map[string]bool{}
	for _, p := range b.pdbs {
		sel, err := labelSelector(p.Spec.Selector)
		if err != nil {
			t.Errorf("PDB %s: %v", p.Name, err)
			continue
		}
		var matched []string
		for name, d := range b.deployments {
			if sel.Matches(labels.Set(d.Spec.Template.Labels)) {
				matched = append(matched, name)
			}
		}
		if len(matched) != 1 {
			t.Errorf("PDB %s selects the pods of %v, want exactly one Deployment", p.Name, matched)
			continue
		}
		covered[matched[0]] = true
		if p.Spec.MinAvailable == nil && p.Spec.MaxUnavailable == nil {
			t.Errorf("PDB %s sets neither minAvailable nor maxUnavailable", p.Name)
		}
	}
	for name, d := range b.deployments {
		if (d.Spec.Replicas == nil || *d.Spec.Replicas > 1) && !covered[name] {
			t.Errorf("deployment %s (autoscaled or several replicas) has no PodDisruptionBudget", name)
		}
	}
}

// TestServices: each Service selects a Deployment's pods and targets a
// port its container declares.
func TestServices(t *testing.T) {
	b := load(t)
	for _, s := range b.services {
		var d *appsv1.Deployment
		for _, dd := range b.deployments {
			if labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(dd.Spec.Template.Labels)) {
				d = dd
			}
		}
		if d == nil {
			t.Errorf("service %s selects no Deployment's pods", s.Name)
			continue
		}
		for _, p := range s.Spec.Ports {
			if !containerHasPort(d.Spec.Template.Spec.Containers[0], p.TargetPort.String()) {
				t.Errorf("service %s targets port %s, not declared by %s", s.Name, p.TargetPort.String(), d.Name)
			}
		}
	}
}

// TestScaledObjects: the workers' ScaledObject scales an existing
// Deployment from at least 1 pod on one redis list trigger per queue of
// deploy/k8s/queues.txt (written from jobs.Queues by the main module's
// TestQueuesFile), each reading asynq:{<queue>}:pending with a
// TriggerAuthentication that exists.
func TestScaledObjects(t *testing.T) {
	b := load(t)
	queues := readQueues(t)
	if len(b.scaled) == 0 {
		t.Fatal("no ScaledObject")
	}
	listName := regexp.MustCompile(`^asynq:\{([a-z0-9_-]+)\}:pending$`)
	covered := map[string]bool{}
	for _, so := range b.scaled {
		ref := so.Spec.ScaleTargetRef
		if ref == nil || b.deployments[ref.Name] == nil || (ref.Kind != "" && ref.Kind != "Deployment") {
			t.Errorf("ScaledObject %s targets %+v, not a Deployment here", so.Name, ref)
			continue
		}
		minR, maxR := so.Spec.MinReplicaCount, so.Spec.MaxReplicaCount
		if minR == nil || *minR < 1 {
			// Zero would also stop the forwarding of scheduled and retry
			// tasks, which the list scaler does not see (worker.yaml).
			t.Errorf("ScaledObject %s: minReplicaCount %v, want >= 1", so.Name, minR)
		}
		if maxR == nil || (minR != nil && *maxR < *minR) {
			t.Errorf("ScaledObject %s: maxReplicaCount %v below min", so.Name, maxR)
		}
		for _, tr := range so.Spec.Triggers {
			where := fmt.Sprintf("ScaledObject %s trigger %s", so.Name, tr.Name)
			if tr.Type != "redis" {
				t.Errorf("%s: type %s, want redis", where, tr.Type)
				continue
			}
			m := listName.FindStringSubmatch(tr.Metadata["listName"])
			if m == nil {
				t.Errorf("%s: listName %q is not asynq:{<queue>}:pending", where, tr.Metadata["listName"])
				continue
			}
			if !slices.Contains(queues, m[1]) {
				t.Errorf("%s: queue %q is not in queues.txt %v", where, m[1], queues)
			}
			if covered[m[1]] {
				t.Errorf("%s: queue %s has two triggers", where, m[1])
			}
			covered[m[1]] = true
			if n, err := strconv.Atoi(tr.Metadata["listLength"]); err != nil || n < 1 {
				t.Errorf("%s: listLength %q, want a positive integer", where, tr.Metadata["listLength"])
			}
			for k := range tr.Metadata {
				if !slices.Contains([]string{"listName", "listLength", "activationListLength", "databaseIndex", "enableTLS", "unsafeSsl", "address", "host", "port", "addressFromEnv", "hostFromEnv", "portFromEnv", "passwordFromEnv", "usernameFromEnv"}, k) {
					t.Errorf("%s: metadata %q is not a parameter of KEDA's redis scaler", where, k)
				}
			}
			if tr.AuthenticationRef == nil || b.triggerAuth[tr.AuthenticationRef.Name] == nil {
				t.Errorf("%s: authenticationRef %+v names no TriggerAuthentication here", where, tr.AuthenticationRef)
				continue
			}
			params := map[string]bool{}
			for _, s := range b.triggerAuth[tr.AuthenticationRef.Name].Spec.SecretTargetRef {
				params[s.Parameter] = true
			}
			if !params["address"] && !params["host"] && tr.Metadata["address"] == "" {
				t.Errorf("%s: neither the trigger nor its TriggerAuthentication gives the Redis address", where)
			}
		}
	}
	for _, q := range queues {
		if !covered[q] {
			t.Errorf("queue %s has no KEDA trigger: its backlog would not scale the workers", q)
		}
	}
}

// TestNetworkPolicies: ingress is denied to every pod by default; only the
// API takes ingress on its HTTP port, and the workers only on their
// metrics port; no policy selects the scheduler.
func TestNetworkPolicies(t *testing.T) {
	b := load(t)
	denyAll := false
	allowed := map[string][]string{} // deployment -> ports
	for _, np := range b.policies {
		if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) {
			t.Errorf("NetworkPolicy %s does not cover ingress", np.Name)
		}
		if len(np.Spec.PodSelector.MatchLabels) == 0 && len(np.Spec.PodSelector.MatchExpressions) == 0 {
			if len(np.Spec.Ingress) == 0 {
				denyAll = true
			} else {
				t.Errorf("NetworkPolicy %s lets ingress into every pod", np.Name)
			}
			continue
		}
		sel, err := labelSelector(&np.Spec.PodSelector)
		if err != nil {
			t.Errorf("NetworkPolicy %s: %v", np.Name, err)
			continue
		}
		for name, d := range b.deployments {
			if !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
				continue
			}
			for _, rule := range np.Spec.Ingress {
				if len(rule.From) == 0 {
					t.Errorf("NetworkPolicy %s lets anyone reach %s", np.Name, name)
				}
				if len(rule.Ports) == 0 {
					t.Errorf("NetworkPolicy %s opens every port of %s", np.Name, name)
				}
				for _, p := range rule.Ports {
					allowed[name] = append(allowed[name], p.Port.String())
				}
			}
		}
	}
	if !denyAll {
		t.Error("no default-deny ingress NetworkPolicy (empty podSelector, no ingress rules)")
	}
	want := map[string][]string{"quizflow-api": {"8080"}, "quizflow-worker": {"9091"}}
	for name := range b.deployments {
		got := slices.Compact(slices.Sorted(slices.Values(allowed[name])))
		if !slices.Equal(got, want[name]) {
			t.Errorf("deployment %s takes ingress on ports %v, want %v", name, got, want[name])
		}
		for _, p := range got {
			if !containerHasPort(b.deployments[name].Spec.Template.Spec.Containers[0], p) {
				t.Errorf("deployment %s: allowed port %s is not a container port", name, p)
			}
		}
	}
}

// TestConfigMapDocumented: every setting in the ConfigMap is one the
// README's configuration table documents, and every Secret key that
// deploy/README.md lists is one too.
func TestConfigMapDocumented(t *testing.T) {
	b := load(t)
	readme := readFile(t, "README.md")
	for _, cm := range b.configMaps {
		for k := range cm.Data {
			if !strings.Contains(readme, "`"+k+"`") {
				t.Errorf("ConfigMap %s key %s is not documented in README.md", cm.Name, k)
			}
		}
	}
	deploy := readFile(t, "deploy/README.md")
	m := regexp.MustCompile("(?s)Secret `quizflow-secrets` is expected to hold (.*?)\\(create it").FindStringSubmatch(deploy)
	if m == nil {
		t.Fatal("deploy/README.md no longer says what quizflow-secrets holds")
	}
	keys := regexp.MustCompile("`([A-Z0-9_]+)`").FindAllStringSubmatch(m[1], -1)
	if len(keys) == 0 {
		t.Fatal("deploy/README.md lists no quizflow-secrets key")
	}
	for _, k := range keys {
		if !strings.Contains(readme, "`"+k[1]+"`") {
			t.Errorf("quizflow-secrets key %s is not documented in README.md", k[1])
		}
	}
}

func containerHasPort(c corev1.Container, port string) bool {
	for _, p := range c.Ports {
		if p.Name == port || strconv.Itoa(int(p.ContainerPort)) == port {
			return true
		}
	}
	return false
}

func readQueues(t *testing.T) []string {
	t.Helper()
	var qs []string
	for _, line := range strings.Split(readFile(t, "deploy/k8s/queues.txt"), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			qs = append(qs, line)
		}
	}
	if len(qs) == 0 {
		t.Fatal("deploy/k8s/queues.txt lists no queue")
	}
	return qs
}

// readFile reads a file of the main module by its path from the root.
func readFile(t *testing.T, rel string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// sourceSeconds finds the one match of pattern (whose group is a number
// of seconds) in a Go file of the main module.
func sourceSeconds(t *testing.T, rel, pattern string) int64 {
	t.Helper()
	ms := regexp.MustCompile(pattern).FindAllStringSubmatch(readFile(t, rel), -1)
	if len(ms) != 1 {
		t.Fatalf("%s: %d matches of %s, want 1 (the timing the manifests are checked against moved?)", rel, len(ms), pattern)
	}
	n, err := strconv.Atoi(ms[0][1])
	if err != nil {
		t.Fatal(err)
	}
	return int64(n)
}

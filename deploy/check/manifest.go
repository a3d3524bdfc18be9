package check

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// Object is one decoded manifest document.
type Object struct {
	// File and Index say where it came from (Index counts from 0).
	File  string
	Index int
	// Kind is its kind; Value a pointer to its API type (*appsv1.Deployment,
	// *ScaledObject, ...).
	Kind  string
	Value any
}

// Meta returns the object's metadata.
func (o Object) Meta() metav1.Object {
	m, _ := o.Value.(metav1.Object)
	return m
}

// kinds maps "apiVersion kind" to a new value of its API type. A document
// of any other kind fails to decode.
var kinds = map[string]func() any{
	"apps/v1 Deployment":                            func() any { return new(appsv1.Deployment) },
	"v1 Service":                                    func() any { return new(corev1.Service) },
	"v1 ConfigMap":                                  func() any { return new(corev1.ConfigMap) },
	"autoscaling/v2 HorizontalPodAutoscaler":        func() any { return new(autoscalingv2.HorizontalPodAutoscaler) },
	"policy/v1 PodDisruptionBudget":                 func() any { return new(policyv1.PodDisruptionBudget) },
	"networking.k8s.io/v1 NetworkPolicy":            func() any { return new(networkingv1.NetworkPolicy) },
	"keda.sh/v1alpha1 ScaledObject":                 func() any { return new(ScaledObject) },
	"keda.sh/v1alpha1 TriggerAuthentication":        func() any { return new(TriggerAuthentication) },
	"kustomize.config.k8s.io/v1beta1 Kustomization": func() any { return new(Kustomization) },
}

// maxManifest bounds one manifest file read.
const maxManifest = 1 << 20

var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*$`)

// Decode decodes one YAML document strictly into the API type of its
// apiVersion and kind: an unknown kind, an unknown or duplicated field, or
// a value of the wrong type is an error.
func Decode(doc []byte) (kind string, value any, err error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return "", nil, fmt.Errorf("read apiVersion and kind: %w", err)
	}
	mk, ok := kinds[tm.APIVersion+" "+tm.Kind]
	if !ok {
		return "", nil, fmt.Errorf("unknown kind %q of apiVersion %q", tm.Kind, tm.APIVersion)
	}
	v := mk()
	if err := yaml.UnmarshalStrict(doc, v); err != nil {
		return "", nil, fmt.Errorf("%s: %w", tm.Kind, err)
	}
	return tm.Kind, v, nil
}

// DecodeFile decodes every document of a manifest file (documents holding
// only comments are skipped).
func DecodeFile(path string) ([]Object, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() > maxManifest {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d a manifest may have", path, fi.Size(), maxManifest)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []Object
	for i, doc := range docSeparator.Split(string(data), -1) {
		if len(bytes.TrimSpace(stripComments([]byte(doc)))) == 0 {
			continue
		}
		kind, v, err := Decode([]byte(doc))
		if err != nil {
			return nil, fmt.Errorf("%s, document %d: %w", filepath.Base(path), i+1, err)
		}
		out = append(out, Object{File: filepath.Base(path), Index: i, Kind: kind, Value: v})
	}
	return out, nil
}

var commentLine = regexp.MustCompile(`(?m)^[ \t]*#.*$`)

func stripComments(doc []byte) []byte { return commentLine.ReplaceAll(doc, nil) }

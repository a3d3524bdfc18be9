package check

import (
	"errors"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// labelSelector converts a LabelSelector; a nil or empty one is an error
// here, since every selector in these manifests must name its pods.
func labelSelector(s *metav1.LabelSelector) (labels.Selector, error) {
	if s == nil || (len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0) {
		return nil, errors.New("empty label selector")
	}
	return metav1.LabelSelectorAsSelector(s)
}

func metav1LabelSelector(d *appsv1.Deployment) (labels.Selector, error) {
	return labelSelector(d.Spec.Selector)
}

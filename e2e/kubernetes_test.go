package e2e

import (
	"context"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The parts of the Kubernetes objects in deploy/kubernetes/ that the test
// reads.
type (
	k8sProbe struct {
		HTTPGet *struct {
			Path string `yaml:"path"`
			Port string `yaml:"port"`
		} `yaml:"httpGet"`
	}
	k8sContainer struct {
		Name  string   `yaml:"name"`
		Image string   `yaml:"image"`
		Args  []string `yaml:"args"`
		Env   []struct {
			Name      string `yaml:"name"`
			Value     string `yaml:"value"`
			ValueFrom *struct {
				ResourceFieldRef *struct {
					Resource string `yaml:"resource"`
				} `yaml:"resourceFieldRef"`
			} `yaml:"valueFrom"`
		} `yaml:"env"`
		Ports []struct {
			Name          string `yaml:"name"`
			ContainerPort int    `yaml:"containerPort"`
		} `yaml:"ports"`
		ReadinessProbe k8sProbe `yaml:"readinessProbe"`
		LivenessProbe  k8sProbe `yaml:"livenessProbe"`
		Resources      struct {
			Requests map[string]string `yaml:"requests"`
			Limits   map[string]string `yaml:"limits"`
		} `yaml:"resources"`
		SecurityContext struct {
			AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
			ReadOnlyRootFilesystem   bool  `yaml:"readOnlyRootFilesystem"`
			Capabilities             struct {
				Drop []string `yaml:"drop"`
			} `yaml:"capabilities"`
		} `yaml:"securityContext"`
		VolumeMounts []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
			ReadOnly  bool   `yaml:"readOnly"`
		} `yaml:"volumeMounts"`
	}
	k8sDeployment struct {
		Kind string `yaml:"kind"`
		Spec struct {
			Replicas int `yaml:"replicas"`
			Selector struct {
				MatchLabels map[string]string `yaml:"matchLabels"`
			} `yaml:"selector"`
			Template struct {
				Metadata struct {
					Labels map[string]string `yaml:"labels"`
				} `yaml:"metadata"`
				Spec struct {
					SecurityContext struct {
						RunAsNonRoot bool `yaml:"runAsNonRoot"`
						RunAsUser    int  `yaml:"runAsUser"`
						RunAsGroup   int  `yaml:"runAsGroup"`
					} `yaml:"securityContext"`
					Containers []k8sContainer `yaml:"containers"`
					Volumes    []struct {
						Name   string `yaml:"name"`
						Secret *struct {
							SecretName string `yaml:"secretName"`
							Items      []struct {
								Key  string `yaml:"key"`
								Path string `yaml:"path"`
							} `yaml:"items"`
						} `yaml:"secret"`
					} `yaml:"volumes"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	k8sService struct {
		Kind string `yaml:"kind"`
		Spec struct {
			Selector map[string]string `yaml:"selector"`
			Ports    []struct {
				Port       int    `yaml:"port"`
				TargetPort string `yaml:"targetPort"`
			} `yaml:"ports"`
		} `yaml:"spec"`
	}
)

func readYAML(t *testing.T, name string, v any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "deploy", "kubernetes", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// memoryBytes converts a Kubernetes quantity such as 128Mi to bytes.
func memoryBytes(t *testing.T, q string) int64 {
	t.Helper()
	for suffix, unit := range map[string]int64{"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30} {
		if n, ok := strings.CutSuffix(q, suffix); ok {
			v, err := strconv.ParseInt(n, 10, 64)
			if err != nil {
				t.Fatalf("quantity %q: %v", q, err)
			}
			return v * unit
		}
	}
	t.Fatalf("quantity %q: use Ki, Mi or Gi", q)
	return 0
}

// TestKubernetes checks deploy/kubernetes/ against the image: the
// Deployment's rules (replicas, probes on /healthz, a non-root user, a
// read-only root, the confirmation key from a Secret, resources), then runs
// its container as a kubelet would (the same args and user, a read-only
// root, dropped capabilities, the memory limit, GOMEMLIMIT, the Secret's
// mount backed by a test file) plus --sandbox, and probes /healthz, so the
// manifest cannot drift from the binary's flags.
func TestKubernetes(t *testing.T) {
	var d k8sDeployment
	var svc k8sService
	readYAML(t, "deployment.yaml", &d)
	readYAML(t, "service.yaml", &svc)
	spec := d.Spec.Template.Spec
	if d.Kind != "Deployment" || svc.Kind != "Service" || len(spec.Containers) != 1 {
		t.Fatalf("want a Deployment of one container and a Service; got %s (%d containers), %s", d.Kind, len(spec.Containers), svc.Kind)
	}
	c := spec.Containers[0]

	port := map[string]int{}
	for _, p := range c.Ports {
		port[p.Name] = p.ContainerPort
	}
	checks := []struct {
		what string
		ok   bool
	}{
		{"at least 2 replicas", d.Spec.Replicas >= 2},
		{"the image ghcr.io/alfe-mcp/alfe-mcp", strings.HasPrefix(c.Image, "ghcr.io/alfe-mcp/alfe-mcp:")},
		{"http --stateless", len(c.Args) > 0 && c.Args[0] == "http" && slices.Contains(c.Args, "--stateless")},
		{"listening on the container port", slices.Contains(c.Args, "--addr=0.0.0.0:"+strconv.Itoa(port["http"]))},
		{"readiness on /healthz", c.ReadinessProbe.HTTPGet != nil && c.ReadinessProbe.HTTPGet.Path == "/healthz" && port[c.ReadinessProbe.HTTPGet.Port] != 0},
		{"liveness on /healthz", c.LivenessProbe.HTTPGet != nil && c.LivenessProbe.HTTPGet.Path == "/healthz" && port[c.LivenessProbe.HTTPGet.Port] != 0},
		{"runAsNonRoot", spec.SecurityContext.RunAsNonRoot && spec.SecurityContext.RunAsUser != 0},
		{"read-only root filesystem", c.SecurityContext.ReadOnlyRootFilesystem},
		{"no privilege escalation", c.SecurityContext.AllowPrivilegeEscalation != nil && !*c.SecurityContext.AllowPrivilegeEscalation},
		{"all capabilities dropped", slices.Equal(c.SecurityContext.Capabilities.Drop, []string{"ALL"})},
		{"memory and CPU requests", c.Resources.Requests["memory"] != "" && c.Resources.Requests["cpu"] != ""},
		{"a memory limit", c.Resources.Limits["memory"] != ""},
		{"the selector matches the pods", len(d.Spec.Selector.MatchLabels) > 0 && isSubset(d.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels)},
		{"the Service selects the pods", len(svc.Spec.Selector) > 0 && isSubset(svc.Spec.Selector, d.Spec.Template.Metadata.Labels)},
		{"the Service targets the container port", len(svc.Spec.Ports) == 1 && port[svc.Spec.Ports[0].TargetPort] != 0},
	}
	for _, ck := range checks {
		if !ck.ok {
			t.Errorf("deploy/kubernetes: want %s", ck.what)
		}
	}

	// The confirmation key: --confirm-key-file names a file of a Secret
	// volume mounted read-only.
	var keyFile string
	for _, a := range c.Args {
		if v, ok := strings.CutPrefix(a, "--confirm-key-file="); ok {
			keyFile = v
		}
	}
	if keyFile == "" {
		t.Fatal("the container gets no --confirm-key-file=: replicas would refuse each other's removal confirmations")
	}
	var mountPath, secretFile string
	for _, m := range c.VolumeMounts {
		for _, v := range spec.Volumes {
			if v.Name != m.Name || v.Secret == nil || path.Dir(keyFile) != m.MountPath {
				continue
			}
			if !m.ReadOnly {
				t.Errorf("the Secret %s is mounted writable", v.Secret.SecretName)
			}
			for _, it := range v.Secret.Items {
				if path.Join(m.MountPath, it.Path) == keyFile {
					mountPath, secretFile = m.MountPath, it.Path
				}
			}
		}
	}
	if mountPath == "" {
		t.Fatalf("no Secret volume is mounted with the file %s", keyFile)
	}

	// Run it.
	ref := image(t, envImage)
	ctx, cancel := context.WithTimeout(t.Context(), artefactLimit)
	defer cancel()
	secretDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(secretDir, secretFile), []byte(strings.Repeat("k8s-test-confirm-key-", 3)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(secretDir, 0o755); err != nil { // the container's user reads it
		t.Fatal(err)
	}
	limit := memoryBytes(t, c.Resources.Limits["memory"])
	args := []string{"run", "-d",
		"--user", strconv.Itoa(spec.SecurityContext.RunAsUser) + ":" + strconv.Itoa(spec.SecurityContext.RunAsGroup),
		"--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
		"--memory", strconv.FormatInt(limit, 10),
		"-v", secretDir + ":" + mountPath + ":ro",
		"-p", "127.0.0.1::" + strconv.Itoa(port["http"]),
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom != nil && e.ValueFrom.ResourceFieldRef != nil && e.ValueFrom.ResourceFieldRef.Resource == "limits.memory":
			args = append(args, "-e", e.Name+"="+strconv.FormatInt(limit, 10))
		case e.ValueFrom == nil:
			args = append(args, "-e", e.Name+"="+e.Value)
		default:
			t.Fatalf("env %s: a source the test cannot reproduce", e.Name)
		}
	}
	args = append(append(append(args, ref), c.Args...), "--sandbox")
	id := container(strings.TrimSpace(podman(t, ctx, args...)))
	defer id.remove()
	hostPort := strings.TrimSpace(podman(t, ctx, "port", string(id), strconv.Itoa(port["http"])+"/tcp"))
	for _, p := range []*k8sProbe{&c.ReadinessProbe, &c.LivenessProbe} {
		waitHealthy(t, ctx, "http://"+hostPort+p.HTTPGet.Path, id.exited, id.logs)
	}
	if out := id.logs(); !strings.Contains(out, `"stateless":true`) {
		t.Errorf("the server does not say it is stateless:\n%s", out)
	}
}

// isSubset reports whether every label of sub is in set.
func isSubset(sub, set map[string]string) bool {
	for k, v := range sub {
		if set[k] != v {
			return false
		}
	}
	return true
}

#!/usr/bin/env bash
# Deploy (or only render) the production overlay with one exact image.
#
#   k8s/deploy.sh IMAGE TAG            check the cluster, kubectl apply, wait for the rollouts
#   k8s/deploy.sh --render IMAGE TAG   print the manifests, touch no cluster
#
# IMAGE is the registry path (ghcr.io/acme/ecommerce), TAG an immutable tag:
# the commit SHA that CI pushed. "latest" is refused. Uses the current kubectl
# context. Before applying it checks (README "Deploy"):
#   - the manifests name your host, not the placeholder shop.example.com;
#   - the Secret ecommerce-secrets has non-empty SECRET_KEY, DATABASE_URL, REDIS_URL;
#   - the new image accepts the new configuration: `manage check --deploy
#     --fail-level WARNING` in a one-off pod with the new ConfigMap (applied
#     alone: its hashed name is new, so no running pod reads it) and the Secret.
#     A value that cannot work, a weak signing key or a deployment warning
#     stops the deploy before any pod rolls.
# It keeps the live replica counts of the api (the HorizontalPodAutoscaler's)
# and of the workers (kubectl scale), which a plain apply would reset.
set -euo pipefail

namespace=ecommerce
placeholder_host=shop.example.com
required_secret_keys=(SECRET_KEY DATABASE_URL REDIS_URL)

render_only=false
if [ "${1:-}" = "--render" ]; then render_only=true; shift; fi
if [ "$#" -ne 2 ]; then
  echo "usage: $0 [--render] IMAGE TAG" >&2
  exit 2
fi
image=$1
tag=$2
case "$tag" in
  "" | latest) echo "refusing tag '$tag': deploy an immutable tag (the commit SHA)" >&2; exit 2 ;;
esac

k8s_dir="$(cd "$(dirname "$0")" && pwd)"
overlay="$k8s_dir/overlays/production/kustomization.yaml"
# The image path the overlay sets (its images: newName), which this replaces.
placeholder=$(sed -n 's/^ *newName: *//p' "$overlay" | head -n 1)
# Kustomize loads relative paths only: the wrapper lives beside the overlays.
work=$(mktemp -d "$k8s_dir/.deploy.XXXXXX")
trap 'rm -rf "$work"' EXIT

# write_wrapper [REPLICAS-YAML]: the overlay, with every container's image
# pinned to IMAGE:TAG (and the given replica counts).
write_wrapper() {
  cat > "$work/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../overlays/production
images:
  - name: ${placeholder:-ecommerce}
    newName: $image
    newTag: "$tag"
${1:-}
YAML
}

write_wrapper
if $render_only; then
  kubectl kustomize "$work"
  exit 0
fi

if kubectl kustomize "$work" | grep -q -F "$placeholder_host"; then
  echo "refusing to deploy: the manifests still name the placeholder host $placeholder_host;" \
    "put your host in $overlay (README \"Deploy\")" >&2
  exit 1
fi

kubectl -n "$namespace" get secret ecommerce-secrets >/dev/null || {
  echo "Secret ecommerce-secrets is missing in namespace $namespace: see README \"Deploy\"" >&2
  exit 1
}
for key in "${required_secret_keys[@]}"; do
  if [ -z "$(kubectl -n "$namespace" get secret ecommerce-secrets -o "jsonpath={.data.$key}")" ]; then
    echo "Secret ecommerce-secrets has no value for $key: see README \"Deploy\"" >&2
    exit 1
  fi
done
kubectl -n "$namespace" get secret ecommerce-tls >/dev/null 2>&1 ||
  echo "warning: no Secret ecommerce-tls yet: the Ingress serves no certificate until it exists" >&2

# The configuration, as the new image will read it, checked before anything rolls.
config_map=$(kubectl kustomize "$work" | grep -E -o -m 1 'ecommerce-config-[a-z0-9]+' | head -n 1)
kubectl apply -k "$work" -l app.kubernetes.io/component=config
check_pod="ecommerce-config-check-$(date +%s)"
check_overrides=$(cat <<JSON
{"apiVersion": "v1", "spec": {
  "serviceAccountName": "ecommerce", "automountServiceAccountToken": false,
  "securityContext": {"runAsNonRoot": true, "runAsUser": 10001, "runAsGroup": 10001,
                      "seccompProfile": {"type": "RuntimeDefault"}},
  "containers": [{
    "name": "$check_pod", "image": "$image:$tag",
    "args": ["manage", "check", "--deploy", "--fail-level", "WARNING"],
    "envFrom": [{"configMapRef": {"name": "$config_map"}},
                {"secretRef": {"name": "ecommerce-secrets"}}],
    "resources": {"requests": {"cpu": "100m", "memory": "256Mi"},
                  "limits": {"cpu": "500m", "memory": "512Mi"}},
    "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
                        "capabilities": {"drop": ["ALL"]}}}]}}
JSON
)
if ! kubectl -n "$namespace" run "$check_pod" --image="$image:$tag" --restart=Never \
  --rm --attach --quiet --pod-running-timeout=5m --overrides="$check_overrides"; then
  echo "refusing to deploy: $image:$tag does not accept this configuration" \
    "(manage check --deploy, above; README \"Configuration\")" >&2
  exit 1
fi

# Live replica counts, kept as they are (absent on the first deployment: the
# manifests' counts apply).
replicas=""
for deployment in ecommerce-api ecommerce-worker; do
  count=$(kubectl -n "$namespace" get deployment "$deployment" --ignore-not-found \
    -o "jsonpath={.spec.replicas}")
  if [ -n "$count" ]; then
    replicas+=$'\n'"  - name: $deployment"$'\n'"    count: $count"
  fi
done
if [ -n "$replicas" ]; then
  write_wrapper "replicas:$replicas"
fi

kubectl apply -k "$work"
for deployment in ecommerce-api ecommerce-worker ecommerce-cron; do
  kubectl -n "$namespace" rollout status "deployment/$deployment" --timeout=10m
done

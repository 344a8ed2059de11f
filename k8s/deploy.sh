#!/usr/bin/env bash
# Deploy (or only render) the production overlay with one exact image.
#
#   k8s/deploy.sh IMAGE TAG            kubectl apply, then wait for the rollouts
#   k8s/deploy.sh --render IMAGE TAG   print the manifests, touch no cluster
#
# IMAGE is the registry path (ghcr.io/acme/ecommerce), TAG an immutable tag:
# the commit SHA that CI pushed. "latest" is refused. Uses the current kubectl
# context; the namespace's Secret ecommerce-secrets must exist (README "Deploy").
set -euo pipefail

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
# The image path the overlay sets (its images: newName), which this replaces.
placeholder=$(sed -n 's/^ *newName: *//p' "$k8s_dir/overlays/production/kustomization.yaml" | head -n 1)
# Kustomize loads relative paths only: the wrapper lives beside the overlays.
work=$(mktemp -d "$k8s_dir/.deploy.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The overlay, with every container's image pinned to IMAGE:TAG.
cat > "$work/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../overlays/production
images:
  - name: ${placeholder:-ecommerce}
    newName: $image
    newTag: "$tag"
YAML

if $render_only; then
  kubectl kustomize "$work"
  exit 0
fi

namespace=ecommerce
kubectl -n "$namespace" get secret ecommerce-secrets >/dev/null || {
  echo "Secret ecommerce-secrets is missing in namespace $namespace: see README \"Deploy\"" >&2
  exit 1
}
kubectl apply -k "$work"
kubectl -n "$namespace" rollout status deployment/ecommerce-api --timeout=10m
kubectl -n "$namespace" rollout status deployment/ecommerce-worker --timeout=10m

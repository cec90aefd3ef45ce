#!/usr/bin/env bash
# Builds every service image and pushes it to ECR, tagged with the git sha and "latest".
#   AWS_REGION=eu-central-1 ./push_to_ecr.sh [service ...]
# Needs: docker (buildx), aws CLI with credentials, a clean work tree (the tag must name the code).
# Prints no secret: the ECR password goes from aws straight into docker's stdin.
set -euo pipefail

SERVICES=(feed buffer queue purchase payment)
if [ "$#" -gt 0 ]; then SERVICES=("$@"); fi

cd "$(dirname "${BASH_SOURCE[0]}")"

: "${AWS_REGION:?set AWS_REGION}"
REPO_PREFIX="${ECR_REPO_PREFIX:-ticketslave}"
PLATFORM="${DOCKER_PLATFORM:-linux/amd64}"

if [ -n "$(git status --porcelain)" ] && [ "${ALLOW_DIRTY:-0}" != "1" ]; then
  echo "push_to_ecr: the work tree has uncommitted changes; commit them (or ALLOW_DIRTY=1)" >&2
  exit 1
fi
TAG="$(git rev-parse --short=12 HEAD)"

ACCOUNT_ID="$(aws sts get-caller-identity --query Account --output text)"
REGISTRY="${ACCOUNT_ID}.dkr.ecr.${AWS_REGION}.amazonaws.com"

echo "push_to_ecr: logging in to ${REGISTRY}"
aws ecr get-login-password --region "$AWS_REGION" | docker login --username AWS --password-stdin "$REGISTRY" >/dev/null

for svc in "${SERVICES[@]}"; do
  dockerfile="${svc}-service/Dockerfile"
  if [ ! -f "$dockerfile" ]; then
    echo "push_to_ecr: no ${dockerfile}" >&2
    exit 1
  fi
  image="${REGISTRY}/${REPO_PREFIX}/${svc}"
  echo "push_to_ecr: ${svc} -> ${image}:${TAG}"
  docker buildx build \
    --platform "$PLATFORM" \
    --file "$dockerfile" \
    --label "org.opencontainers.image.revision=$(git rev-parse HEAD)" \
    --label "org.opencontainers.image.source=ticketslave" \
    --tag "${image}:${TAG}" \
    --tag "${image}:latest" \
    --push \
    .
done

echo "push_to_ecr: pushed ${#SERVICES[@]} image(s) with tag ${TAG}"

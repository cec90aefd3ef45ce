#!/usr/bin/env bash
# Deploys one environment:  ./deploy.sh staging|production [--yes] [--tag <git sha>]
#   1. terraform init (remote state in S3, locked) + plan for that environment
#   2. asks for confirmation (unless --yes), then applies exactly that plan
#   3. publishes the frontends' hashed assets to S3 (long cache; index.html stays in the images)
#   4. rolls the ECS services and waits until they are stable
# Images must already be in ECR (./push_to_ecr.sh); the tag defaults to HEAD's short sha.
set -euo pipefail

usage() { echo "usage: $0 staging|production [--yes] [--tag <sha>]" >&2; exit 2; }

ENVIRONMENT="${1:-}"
case "$ENVIRONMENT" in staging|production) ;; *) usage ;; esac
shift

ASSUME_YES=0
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TAG="$(git -C "$ROOT" rev-parse --short=12 HEAD)"
while [ "$#" -gt 0 ]; do
  case "$1" in
    --yes) ASSUME_YES=1 ;;
    --tag) TAG="${2:?--tag needs a value}"; shift ;;
    *) usage ;;
  esac
  shift
done

TF_DIR="$ROOT/deployment"
PLAN="$(mktemp -t "ticketslave-${ENVIRONMENT}-XXXXXX.tfplan")"
trap 'rm -f "$PLAN"' EXIT

tf() { terraform -chdir="$TF_DIR" "$@"; }

echo "deploy: ${ENVIRONMENT}, images tagged ${TAG}"
tf init -input=false -reconfigure -backend-config="environments/${ENVIRONMENT}.s3.tfbackend"
tf plan -input=false \
  -var-file="environments/${ENVIRONMENT}.tfvars" \
  -var "image_tag=${TAG}" \
  -out="$PLAN"

if [ "$ASSUME_YES" != "1" ]; then
  read -r -p "Apply this plan to ${ENVIRONMENT}? Type the environment name to confirm: " answer
  if [ "$answer" != "$ENVIRONMENT" ]; then
    echo "deploy: not confirmed, nothing applied" >&2
    exit 1
  fi
fi
tf apply -input=false "$PLAN"

out() { tf output -raw "$1"; }
AWS_REGION="$(out region)"
export AWS_REGION
ASSETS_BUCKET="$(out assets_bucket)"
CLUSTER="$(out ecs_cluster_name)"
DISTRIBUTION="$(out cloudfront_distribution_id)"

# Frontend assets: built from the same commit as the images, published before the services
# roll so that every new index.html finds its hashed files. Old files stay for open pages.
echo "deploy: building and publishing frontend assets to s3://${ASSETS_BUCKET}"
for svc in feed buffer queue purchase payment; do
  npm --prefix "$ROOT" run build -w "@ticketslave/${svc}-frontend"
done
node --import tsx "$ROOT/deployment/scripts/publish-assets.ts" --bucket "$ASSETS_BUCKET" --root "$ROOT"

echo "deploy: rolling ECS services on ${CLUSTER}"
SERVICES=()
for svc in feed buffer queue purchase payment; do
  SERVICES+=("$svc")
  aws ecs update-service --cluster "$CLUSTER" --service "$svc" --force-new-deployment --query 'service.serviceName' --output text
done
aws ecs wait services-stable --cluster "$CLUSTER" --services "${SERVICES[@]}"

# index.html is never cached by CloudFront (CachingDisabled on the ALB origin); assets are
# content-hashed, so no invalidation is needed. The id is printed for manual use.
echo "deploy: ${ENVIRONMENT} is running ${TAG} (CloudFront distribution ${DISTRIBUTION})"

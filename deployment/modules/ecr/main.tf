# One repository per service. Images are deployed by git-sha tag; "latest" only marks the
# newest push for humans, so tags stay mutable for it.
resource "aws_ecr_repository" "service" {
  for_each             = toset(var.services)
  name                 = "${var.name_prefix}/${each.key}"
  image_tag_mutability = "MUTABLE"
  force_delete         = false

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
  }
}

resource "aws_ecr_lifecycle_policy" "service" {
  for_each   = aws_ecr_repository.service
  repository = each.value.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Drop untagged layers after ${var.untagged_expiry_days} days"
        selection    = { tagStatus = "untagged", countType = "sinceImagePushed", countUnit = "days", countNumber = var.untagged_expiry_days }
        action       = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the last ${var.keep_tagged_images} tagged images (rollback window)"
        selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = var.keep_tagged_images }
        action       = { type = "expire" }
      },
    ]
  })
}

# Staging and production are separate accounts. Images are built and pushed once (release.yml,
# push_to_ecr.sh) into the staging account's registry, which replicates them to production's;
# production's registry policy lets exactly that account replicate in. So the tag that was
# tested on staging is byte for byte the one production runs.
resource "aws_ecr_replication_configuration" "this" {
  count = length(var.replicate_to_account_ids) > 0 ? 1 : 0
  replication_configuration {
    rule {
      dynamic "destination" {
        for_each = var.replicate_to_account_ids
        content {
          region      = var.region
          registry_id = destination.value
        }
      }
      repository_filter {
        filter      = "${var.name_prefix}/"
        filter_type = "PREFIX_MATCH"
      }
    }
  }
}

resource "aws_ecr_registry_policy" "accept_replication" {
  count = length(var.accept_replication_from_account_ids) > 0 ? 1 : 0
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AcceptReplication"
      Effect    = "Allow"
      Principal = { AWS = [for a in var.accept_replication_from_account_ids : "arn:aws:iam::${a}:root"] }
      Action    = ["ecr:CreateRepository", "ecr:ReplicateImage"]
      Resource  = "arn:aws:ecr:${var.region}:${var.account_id}:repository/${var.name_prefix}/*"
    }]
  })
}

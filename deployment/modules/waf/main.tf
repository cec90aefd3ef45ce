# The web ACL in front of CloudFront. CLOUDFRONT scope lives in us-east-1: the root passes this
# module its us-east-1 provider. Order: a per-client rate limit first (cheapest, and what an
# on-sale flood trips), then AWS's IP reputation list, AWS's common rule set, and Bot Control
# when var.bot_control is on (billed per request, off by default: the join's proof of work and
# the services' own per-client limits already price automation).
terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7.0"
    }
  }
}

locals {
  managed_rule_groups = concat(
    [
      { name = "AWSManagedRulesAmazonIpReputationList", priority = 20, excluded = [] },
      # SizeRestrictions_BODY blocks bodies over 8 KB; organiser requests (event settings,
      # ticket types) may be larger and the services cap bodies themselves (64 KB): counted only.
      { name = "AWSManagedRulesCommonRuleSet", priority = 30, excluded = ["SizeRestrictions_BODY"] },
    ],
    var.bot_control ? [{ name = "AWSManagedRulesBotControlRuleSet", priority = 40, excluded = [] }] : [],
  )
}

resource "aws_wafv2_web_acl" "this" {
  name        = var.name
  description = "${var.name}: rate limit per client, AWS IP reputation, AWS common rules${var.bot_control ? ", Bot Control" : ""}"
  scope       = "CLOUDFRONT"

  default_action {
    allow {}
  }

  # Per client address (the viewer's, as CloudFront sees it), over WAF's 5-minute window.
  rule {
    name     = "rate-per-client"
    priority = 10
    action {
      block {
        custom_response {
          response_code = 429
        }
      }
    }
    statement {
      rate_based_statement {
        limit              = var.rate_limit_per_5_minutes
        aggregate_key_type = "IP"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-rate-per-client"
      sampled_requests_enabled   = true
    }
  }

  dynamic "rule" {
    for_each = local.managed_rule_groups
    content {
      name     = rule.value.name
      priority = rule.value.priority
      override_action {
        none {}
      }
      statement {
        managed_rule_group_statement {
          vendor_name = "AWS"
          name        = rule.value.name
          dynamic "rule_action_override" {
            for_each = rule.value.excluded
            content {
              name = rule_action_override.value
              action_to_use {
                count {}
              }
            }
          }
          dynamic "managed_rule_group_configs" {
            for_each = rule.value.name == "AWSManagedRulesBotControlRuleSet" ? [1] : []
            content {
              aws_managed_rules_bot_control_rule_set {
                inspection_level = "COMMON"
              }
            }
          }
        }
      }
      visibility_config {
        cloudwatch_metrics_enabled = true
        metric_name                = "${var.name}-${rule.value.name}"
        sampled_requests_enabled   = true
      }
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = var.name
    sampled_requests_enabled   = true
  }
}

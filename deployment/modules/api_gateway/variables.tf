variable "name" {
  type = string
}

variable "routes" {
  description = "service => its API's throttle: steady requests per second (rate) and burst, for all clients together"
  type = map(object({
    rate  = number
    burst = number
  }))
}

variable "default_throttle" {
  description = "Throttle of anything no route names"
  type = object({
    rate  = number
    burst = number
  })
  default = { rate = 100, burst = 200 }
}

variable "private_subnet_ids" {
  type = list(string)
}

variable "vpc_link_security_group_id" {
  type = string
}

variable "alb_listener_arn" {
  type = string
}

variable "alb_origin_domain_name" {
  type = string
}

variable "origin_secret_header" {
  type = string
}

variable "origin_secret" {
  type      = string
  sensitive = true
}

variable "log_retention_days" {
  type    = number
  default = 30
}

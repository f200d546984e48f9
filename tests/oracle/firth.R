# Firth penalized logistic regression for the R oracles (flagship-study.md, Analysis 5 and Exact
# definitions, Firth model), sourced by oracle.R and switch_oracle.R: the fit by brglm2 (type =
# "AS_mean", Firth's bias reduction for the logistic link), checked against a Newton solver of the
# penalized likelihood written out here; penalized likelihood-ratio p-values and profile
# penalized-likelihood 95% CIs in the logistf convention (restricted fits keep the full design's
# Jeffreys penalty: Heinze & Schemper 2002).

suppressPackageStartupMessages(library(brglm2))

nullable <- function(x) if (is.null(x) || length(x) == 0 || is.na(x)) NULL else unname(x)

firth_loglik <- function(beta, X, y) {
  eta <- drop(X %*% beta)
  w <- plogis(eta) * plogis(-eta)
  info <- crossprod(X * sqrt(w))
  sum(y * plogis(eta, log.p = TRUE) + (1 - y) * plogis(-eta, log.p = TRUE)) +
    0.5 * as.numeric(determinant(info, logarithm = TRUE)$modulus)
}

# maximise the penalized log-likelihood over the parameters not in `fixed` (named index -> value),
# with the modified score of the FULL design (Heinze & Schemper 2002; logistf's restricted fits)
firth_fit <- function(X, y, fixed = integer(0), values = numeric(0), start = NULL) {
  k <- ncol(X)
  beta <- if (is.null(start)) rep(0, k) else start
  beta[fixed] <- values
  free <- setdiff(seq_len(k), fixed)
  for (it in 1:500) {
    eta <- drop(X %*% beta)
    p <- plogis(eta)
    w <- p * (1 - p)
    info <- crossprod(X * sqrt(w))
    inv <- solve(info)
    h <- rowSums((X %*% inv) * X) * w
    score <- drop(crossprod(X, y - p + h * (0.5 - p)))
    step <- solve(info[free, free, drop = FALSE], score[free])
    mx <- max(abs(step))
    if (mx > 5) step <- step * 5 / mx
    old <- firth_loglik(beta, X, y)
    new_beta <- beta
    new_beta[free] <- beta[free] + step
    half <- 0
    while (firth_loglik(new_beta, X, y) < old - 1e-13 && half < 30) {
      step <- step / 2
      new_beta[free] <- beta[free] + step
      half <- half + 1
    }
    beta <- new_beta
    if (max(abs(step)) < 1e-12 && max(abs(score[free])) < 1e-9) break
  }
  list(beta = beta, loglik = firth_loglik(beta, X, y))
}

firth_model <- function(frame, terms) {
  y <- frame$outcome
  X <- cbind(`(Intercept)` = 1, as.matrix(frame[, terms, drop = FALSE]))
  # the fit itself: brglm2 (AS_mean = Firth's bias reduction for the logistic link)
  data <- data.frame(y = y, frame[, terms, drop = FALSE], check.names = FALSE)
  names(data) <- c("y", paste0("x", seq_along(terms)))
  formula <- as.formula(paste("y ~", paste(names(data)[-1], collapse = " + ")))
  br <- glm(formula, data = data, family = binomial, method = "brglmFit", type = "AS_mean",
            control = brglmControl(epsilon = 1e-12, maxit = 1000))
  full <- firth_fit(X, y, start = unname(coef(br)))
  stopifnot(max(abs(full$beta - unname(coef(br)))) < 1e-7)
  crit <- qchisq(0.95, 1)
  eta <- drop(X %*% full$beta)
  se <- sqrt(diag(solve(crossprod(X * sqrt(plogis(eta) * plogis(-eta))))))
  out <- list()
  for (j in seq_along(terms)) {
    idx <- j + 1
    restricted <- firth_fit(X, y, fixed = idx, values = 0, start = full$beta)
    chi2 <- max(0, 2 * (full$loglik - restricted$loglik))
    profile <- function(b) {
      r <- firth_fit(X, y, fixed = idx, values = b, start = full$beta)
      2 * (full$loglik - r$loglik) - crit
    }
    bound <- function(direction) {
      # walk out in steps of half a Wald SE until the profile crosses the cut-off, then solve on
      # that bracket (a step in the coefficient's own scale keeps every restricted fit finite)
      step <- se[idx] / 2
      b <- full$beta[idx]
      for (i in 1:400) {
        b_try <- full$beta[idx] + direction * i * step
        if (profile(b_try) > 0) {
          return(uniroot(profile, sort(c(b, b_try)), tol = 1e-12)$root)
        }
        b <- b_try
      }
      NA
    }
    out[[j]] <- list(term = terms[j], odds_ratio = exp(full$beta[idx]),
                     ci_low = nullable(exp(bound(-1))), ci_high = nullable(exp(bound(1))),
                     p = pchisq(chi2, 1, lower.tail = FALSE), coef = full$beta[idx])
  }
  out
}

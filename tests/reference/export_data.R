# Exports R datasets used by the Python tests to tests/reference/data/*.csv
# Regenerate: Rscript tests/reference/export_data.R
source(file.path(local({a <- commandArgs(FALSE); f <- sub("^--file=", "", a[grep("^--file=", a)]); if (length(f)) dirname(f) else "."}), "_common.R"))
outdir <- file.path(script_dir(), "data")
dir.create(outdir, showWarnings = FALSE)
data(api)
keep <- c("cds", "stype", "dnum", "snum", "cnum", "pw", "fpc", "fpc1", "fpc2",
          "api00", "api99", "enroll", "sch.wide", "comp.imp", "both", "meals",
          "ell", "awards", "target", "growth")
# write.csv prints doubles with 15 significant digits, which does not always
# round-trip (e.g. apistrat$pw). Format doubles with the shortest of
# %.15g / %.17g that reproduces the exact double; quote only text columns.
write_exact <- function(d, path) {
  txt <- vapply(d, function(v) is.character(v) || is.factor(v), TRUE)
  for (j in which(vapply(d, is.double, TRUE))) {
    v <- d[[j]]
    s15 <- sprintf("%.15g", v)
    s17 <- sprintf("%.17g", v)
    s <- ifelse(as.numeric(s15) == v, s15, s17)
    s[is.na(v)] <- NA
    d[[j]] <- s
  }
  write.csv(d, path, row.names = FALSE, na = "", quote = which(txt))
}
info <- list()
for (nm in c("apiclus1", "apiclus2", "apistrat", "apisrs", "apipop")) {
  d <- get(nm)
  d <- d[, intersect(keep, names(d)), drop = FALSE]
  write_exact(d, file.path(outdir, paste0(nm, ".csv")))
  info[[nm]] <- list(nrow = nrow(d), columns = I(names(d)))
}
data(bfi, package = "psych")
write_exact(bfi, file.path(outdir, "bfi.csv"))
info$bfi <- list(nrow = nrow(bfi), columns = I(names(bfi)), complete_cases_items_1_5 = sum(complete.cases(bfi[, 1:5])))
data(HolzingerSwineford1939, package = "lavaan")
write_exact(HolzingerSwineford1939, file.path(outdir, "HolzingerSwineford1939.csv"))
info$HolzingerSwineford1939 <- list(nrow = nrow(HolzingerSwineford1939), columns = I(names(HolzingerSwineford1939)))
out <- list(meta = meta(c("survey", "psych", "lavaan")),
            note = "write.csv(row.names=FALSE, na=\"\", quote=text columns only): factors written as labels, NA as empty field; doubles written with %.15g, or %.17g where %.15g would not reproduce the exact double, so values round-trip exactly.",
            datasets = info)
write_json_file(out, "data/datasets.json")

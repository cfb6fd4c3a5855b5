#include "tokumei/store/database.h"

#include <stdexcept>

namespace tokumei::store {

bool Row::is_null(std::size_t i) const {
  return std::holds_alternative<std::nullptr_t>(values_.at(i));
}

std::int64_t Row::integer(std::size_t i) const {
  if (auto* v = std::get_if<std::int64_t>(&values_.at(i))) return *v;
  throw std::logic_error("column " + std::to_string(i) + " is not an integer");
}

double Row::real(std::size_t i) const {
  if (auto* v = std::get_if<double>(&values_.at(i))) return *v;
  if (auto* v = std::get_if<std::int64_t>(&values_.at(i))) return static_cast<double>(*v);
  throw std::logic_error("column " + std::to_string(i) + " is not a number");
}

const std::string& Row::text(std::size_t i) const {
  if (auto* v = std::get_if<std::string>(&values_.at(i))) return *v;
  throw std::logic_error("column " + std::to_string(i) + " is not text");
}

const Bytes& Row::blob(std::size_t i) const {
  if (auto* v = std::get_if<Bytes>(&values_.at(i))) return *v;
  throw std::logic_error("column " + std::to_string(i) + " is not a blob");
}

std::optional<std::int64_t> Row::optional_integer(std::size_t i) const {
  if (is_null(i)) return std::nullopt;
  return integer(i);
}

Result<Transaction> Database::begin() {
  if (depth_ == 0) {
    TKM_RETURN_IF_ERROR(begin_outer());
  } else {
    TKM_RETURN_IF_ERROR(execute("SAVEPOINT tkm_sp_" + std::to_string(depth_)));
  }
  ++depth_;
  return Transaction(this, depth_);
}

Result<Row> Database::query_one(std::string_view sql, const std::vector<Value>& params) {
  TKM_ASSIGN_OR_RETURN(Rows rows, query(sql, params));
  if (rows.empty()) return fail(Errc::not_found, {"該当する行がありません", "no matching row"});
  return std::move(rows.front());
}

Transaction::~Transaction() {
  if (open_) (void)rollback();
}

Status Transaction::commit() {
  if (!is_open())
    return fail(Errc::internal,
                {"トランザクションは既に終了しています", "transaction already finished"});
  if (db_->depth_ != level_) {
    return fail(Errc::internal,
                {"内側のトランザクションが終わっていません", "an inner transaction is still open"});
  }
  open_ = false;
  --db_->depth_;
  if (level_ == 1) {
    Status s = db_->commit_outer();
    if (!s) {
      ++db_->rollbacks_;
      (void)db_->rollback_outer();
    }
    return s;
  }
  return status_of(db_->execute("RELEASE tkm_sp_" + std::to_string(level_ - 1)));
}

Status Transaction::rollback() {
  if (!open_) return ok();
  open_ = false;
  if (db_->depth_ < level_) return ok();  // an enclosing transaction already rolled this back
  db_->depth_ = level_ - 1;
  ++db_->rollbacks_;
  if (level_ == 1) return db_->rollback_outer();
  std::string sp = "tkm_sp_" + std::to_string(level_ - 1);
  TKM_RETURN_IF_ERROR(db_->execute("ROLLBACK TO " + sp));
  return status_of(db_->execute("RELEASE " + sp));
}

}  // namespace tokumei::store

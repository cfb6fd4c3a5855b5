#pragma once
// The database interface every module uses. Callers write portable SQL with positional `?`
// parameters and RETURNING, and never see the backend: SQLite today (sqlite_database.h), a
// PostgreSQL backend later behind the same interface.
//
// A Database object is one connection: not thread-safe; open one per thread.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tokumei/base/bytes.h"
#include "tokumei/base/error.h"

namespace tokumei::store {

// A column value or parameter. `int` literals bind as integers, string literals as text.
using Value = std::variant<std::nullptr_t, std::int64_t, double, std::string, Bytes>;

// One result row, with typed accessors that report a mismatch as a bug (std::logic_error): the
// schema is ours, so a wrong type is a programming error, not bad input.
class Row {
 public:
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}
  std::size_t size() const { return values_.size(); }
  bool is_null(std::size_t i) const;
  std::int64_t integer(std::size_t i) const;
  double real(std::size_t i) const;
  const std::string& text(std::size_t i) const;
  const Bytes& blob(std::size_t i) const;
  std::optional<std::int64_t> optional_integer(std::size_t i) const;
  const Value& operator[](std::size_t i) const { return values_.at(i); }

 private:
  std::vector<Value> values_;
};

using Rows = std::vector<Row>;

class Transaction;

class Database {
 public:
  virtual ~Database() = default;
  Database() = default;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // "sqlite" or "postgresql".
  virtual std::string_view backend() const = 0;

  // Runs one statement with `params` bound to its `?` placeholders; returns the rows changed.
  // Statements are prepared once and cached per connection.
  virtual Result<std::int64_t> execute(std::string_view sql,
                                       const std::vector<Value>& params = {}) = 0;

  // Runs one INSERT of a single row; returns the new row's id, or none when no row was inserted
  // (an `ON CONFLICT ... DO NOTHING` that met its conflict). Cheaper than `RETURNING id`.
  virtual Result<std::optional<std::int64_t>> insert(std::string_view sql,
                                                     const std::vector<Value>& params) = 0;

  // Runs one statement and returns all its rows.
  virtual Result<Rows> query(std::string_view sql, const std::vector<Value>& params = {}) = 0;

  // Runs several statements without parameters (schema scripts).
  virtual Status execute_script(std::string_view sql) = 0;

  // Makes sure data deleted or overwritten so far is gone from every file of the database, not only
  // from its tables (SQLite: secure_delete is always on; this also checkpoints and truncates the
  // WAL). Used after crypto-erase. Errc::internal inside a transaction; best effort while another
  // connection is reading (it cannot move pages under a reader).
  virtual Status scrub() = 0;

  // Whether a commit waits until the disk holds it (the default). Without, a commit still
  // survives the process being killed, but may be lost with the machine (a power cut): for bulk
  // work that ends with a commit that does wait, which makes everything before it durable too, and
  // that can be done again from its input. Errc::internal inside a transaction.
  virtual Status set_commit_waits_for_disk(bool wait) = 0;

  // Starts a transaction; nested calls open savepoints inside the outer one. The outer
  // transaction takes the write lock at once, so concurrent writers wait (busy timeout) rather
  // than fail half-way.
  Result<Transaction> begin();

  // Depth of open transactions (0 = none).
  int transaction_depth() const { return depth_; }

  // How many transactions or savepoints have been rolled back on this connection: a cache of what
  // was written (the identity vault's recent persons) is stale once this moves.
  std::uint64_t rollbacks() const { return rollbacks_; }

  // Runs `query` and returns its single row, Errc::not_found if none.
  Result<Row> query_one(std::string_view sql, const std::vector<Value>& params = {});

 protected:
  friend class Transaction;
  virtual Status begin_outer() = 0;
  virtual Status commit_outer() = 0;
  virtual Status rollback_outer() = 0;
  int depth_ = 0;
  std::uint64_t rollbacks_ = 0;
};

// An open transaction (or savepoint). Rolls back on destruction unless committed. Move-only.
class Transaction {
 public:
  Transaction(Transaction&& o) noexcept : db_(o.db_), level_(o.level_), open_(o.open_) {
    o.open_ = false;
  }
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();

  Status commit();
  Status rollback();
  Database& db() { return *db_; }
  // False once committed or rolled back, or when an enclosing transaction was rolled back.
  bool is_open() const { return open_ && db_->depth_ >= level_; }

 private:
  friend class Database;
  Transaction(Database* db, int level) : db_(db), level_(level), open_(true) {}
  Database* db_;
  int level_;
  bool open_;
};

}  // namespace tokumei::store

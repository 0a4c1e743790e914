#include "fault_fs.hpp"

#include <rocksdb/file_system.h>
#include <rocksdb/io_status.h>

namespace smppgw::store::detail {
namespace {

class fault_file final : public rocksdb::FSWritableFileOwnerWrapper {
public:
    fault_file(std::unique_ptr<rocksdb::FSWritableFile> f, std::shared_ptr<write_fault> fault)
        : FSWritableFileOwnerWrapper(std::move(f)), fault_(std::move(fault)) {}

    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* dbg) override {
        if (auto s = check(); !s.ok()) {
            return s;
        }
        return FSWritableFileOwnerWrapper::Append(data, o, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                             const rocksdb::DataVerificationInfo& v,
                             rocksdb::IODebugContext* dbg) override {
        if (auto s = check(); !s.ok()) {
            return s;
        }
        return FSWritableFileOwnerWrapper::Append(data, o, v, dbg);
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                       const rocksdb::IOOptions& o,
                                       rocksdb::IODebugContext* dbg) override {
        if (auto s = check(); !s.ok()) {
            return s;
        }
        return FSWritableFileOwnerWrapper::PositionedAppend(data, offset, o, dbg);
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                       const rocksdb::IOOptions& o,
                                       const rocksdb::DataVerificationInfo& v,
                                       rocksdb::IODebugContext* dbg) override {
        if (auto s = check(); !s.ok()) {
            return s;
        }
        return FSWritableFileOwnerWrapper::PositionedAppend(data, offset, o, v, dbg);
    }
    rocksdb::IOStatus Flush(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
        if (auto s = check(); !s.ok()) {
            return s;
        }
        return FSWritableFileOwnerWrapper::Flush(o, dbg);
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
        if (auto s = check(); !s.ok()) {
            return s;
        }
        return FSWritableFileOwnerWrapper::Sync(o, dbg);
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* dbg) override {
        if (auto s = check(); !s.ok()) {
            return s;
        }
        return FSWritableFileOwnerWrapper::Fsync(o, dbg);
    }

private:
    rocksdb::IOStatus check() {
        if (fault_->armed()) {
            fault_->count_injected();
            return rocksdb::IOStatus::NoSpace("smppgw test hook: write_fault armed");
        }
        return rocksdb::IOStatus::OK();
    }

    std::shared_ptr<write_fault> fault_;
};

class fault_fs final : public rocksdb::FileSystemWrapper {
public:
    fault_fs(const std::shared_ptr<rocksdb::FileSystem>& base, std::shared_ptr<write_fault> fault)
        : FileSystemWrapper(base), fault_(std::move(fault)) {}

    const char* Name() const override { return "smppgw_fault_fs"; }

    rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                      std::unique_ptr<rocksdb::FSWritableFile>* r,
                                      rocksdb::IODebugContext* dbg) override {
        // Creating a file still works on a full disk (an inode, a directory entry); what fails
        // is writing data to it.
        auto s = FileSystemWrapper::NewWritableFile(f, o, r, dbg);
        if (s.ok()) {
            *r = std::make_unique<fault_file>(std::move(*r), fault_);
        }
        return s;
    }

    // A full disk reports no free space: the committer checks this before DB::Resume().
    rocksdb::IOStatus GetFreeSpace(const std::string& path, const rocksdb::IOOptions& o,
                                   uint64_t* diskfree, rocksdb::IODebugContext* dbg) override {
        if (fault_->reports_full()) {
            *diskfree = 0;
            return rocksdb::IOStatus::OK();
        }
        return FileSystemWrapper::GetFreeSpace(path, o, diskfree, dbg);
    }

    rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                         std::unique_ptr<rocksdb::FSWritableFile>* r,
                                         rocksdb::IODebugContext* dbg) override {
        auto s = FileSystemWrapper::ReopenWritableFile(f, o, r, dbg);
        if (s.ok()) {
            *r = std::make_unique<fault_file>(std::move(*r), fault_);
        }
        return s;
    }

    rocksdb::IOStatus ReuseWritableFile(const std::string& f, const std::string& old,
                                        const rocksdb::FileOptions& o,
                                        std::unique_ptr<rocksdb::FSWritableFile>* r,
                                        rocksdb::IODebugContext* dbg) override {
        auto s = FileSystemWrapper::ReuseWritableFile(f, old, o, r, dbg);
        if (s.ok()) {
            *r = std::make_unique<fault_file>(std::move(*r), fault_);
        }
        return s;
    }

private:
    std::shared_ptr<write_fault> fault_;
};

}  // namespace

std::unique_ptr<rocksdb::Env> make_fault_env(std::shared_ptr<write_fault> fault) {
    auto fs = std::make_shared<fault_fs>(rocksdb::FileSystem::Default(), std::move(fault));
    return rocksdb::NewCompositeEnv(fs);
}

}  // namespace smppgw::store::detail

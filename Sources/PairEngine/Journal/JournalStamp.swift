import Foundation

/// What a journal's files look like on disk (device, inode, size, modification time of
/// each; zeros for a file that is not there). Two equal stamps mean no commit landed in
/// between, on any file system whose times are finer than the interval between checks;
/// readers that rely on it also read for real now and then.
public struct JournalStamp: Sendable, Equatable {
    let fields: [Int64]

    init(files: [String]) {
        fields = files.flatMap { file -> [Int64] in
            var info = stat()
            guard stat(file, &info) == 0 else { return [0, 0, 0, 0, 0] }
            return [Int64(info.st_dev), Int64(info.st_ino), Int64(info.st_size), Int64(info.st_mtim.tv_sec), Int64(info.st_mtim.tv_nsec)]
        }
    }
}
